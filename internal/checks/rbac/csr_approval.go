package rbac

import "github.com/kubeward/kubeward/internal/check"

// CSRApproval reports roles that let their holders approve certificate
// signing requests: update or patch on certificatesigningrequests/approval
// together with approve on signers, which the API server requires both of
// (RBAC on the subresource, then the CertificateApproval admission plugin
// on the request's signer). The finding sits on the rule granting the
// approval subresource and names where the signer permission comes from:
// the same role, or another binding of the same holder.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, rules with verbs
// and resources "*" (rbac-wildcard reports those once), and either
// permission without the other (argocd-server's delete, get and patch on
// every resource cannot approve: it lacks approve).
var CSRApproval = permissionCheck(check.Meta{
	ID:        "rbac-csr-approval",
	Title:     "Role can approve certificate signing requests",
	Rationale: "An approved request for the kube-apiserver-client signer is a client certificate for any user and group, system:masters included.",
	Fix:       "Leave approval to the controller manager's approvers; name the signers a custom approver needs in resourceNames.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	on("certificates.k8s.io", "certificatesigningrequests/approval", "update", "patch"),
	severities{cluster: check.Critical, namespaced: check.Critical, requires: approveSigners})

var approveSigners = on("certificates.k8s.io", "signers", "approve")

// csrApprovalMatch is the approval half alone, for the blast-radius
// summaries, which look at one grant at a time.
var csrApprovalMatch = on("certificates.k8s.io", "certificatesigningrequests/approval", "update", "patch")

func init() { check.Register(CSRApproval) }
