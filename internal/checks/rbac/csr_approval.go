package rbac

import "github.com/kubeward/kubeward/internal/check"

// CSRApproval reports roles that grant update or patch on certificatesigningrequests/approval, approve on signers.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var CSRApproval = permissionCheck(check.Meta{
	ID:        "rbac-csr-approval",
	Title:     "Role can approve certificate signing requests",
	Rationale: "An approved request for the kube-apiserver-client signer is a client certificate for any user and group, system:masters included.",
	Fix:       "Leave approval to the controller manager's approvers; name the signers a custom approver needs in resourceNames.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	csrApprovalMatch,
	severities{cluster: check.Critical, namespaced: check.Critical})

var csrApprovalMatch matcher = anyOf(on("certificates.k8s.io", "certificatesigningrequests/approval", "update", "patch"), on("certificates.k8s.io", "signers", "approve"))

func init() { check.Register(CSRApproval) }
