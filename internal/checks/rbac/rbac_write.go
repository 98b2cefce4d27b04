package rbac

import "github.com/kubeward/kubeward/internal/check"

// RBACWrite reports roles that grant create, update, patch, delete or
// deletecollection on Roles, ClusterRoles, RoleBindings or
// ClusterRoleBindings.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with verbs
// and resources "*" (rbac-wildcard reports those once). The escalate and
// bind verbs, which lift RBAC's escalation prevention, are
// rbac-escalate-bind's; this check is about what the prevention leaves.
var RBACWrite = permissionCheck(check.Meta{
	ID:    "rbac-rbac-write",
	Title: "Role can create, change or delete roles and bindings",
	Rationale: "RBAC's escalation prevention stops a holder from granting rights it does not have, but not from " +
		"handing every right it has to anyone (another namespace's service account, an outside group), nor from " +
		"patching or deleting other people's bindings and roles to lock out administrators and remove the audit trail of who could do what.",
	Fix: "Manage RBAC objects from the deployment pipeline; grant controllers that must create bindings only " +
		"create, with resourceNames where they can, and never update, patch or delete on bindings they do not own.",
	Reads: []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Refs: append([]check.Reference{check.MITRE("T1098", "Account Manipulation"),
		check.MITRE("T1531", "Account Access Removal")}, references...),
	Peers: []check.Peer{check.Trivy("KSV050").Differs("Trivy rates it critical as if it were escalation, and ignores patch; kubeward includes patch, and reports escalation itself under rbac-escalate-bind")},
},
	rbacWriteMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var rbacWriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

var rbacWriteMatch matcher = anyOf(
	on("rbac.authorization.k8s.io", "rolebindings", rbacWriteVerbs...),
	on("rbac.authorization.k8s.io", "clusterrolebindings", rbacWriteVerbs...),
	on("rbac.authorization.k8s.io", "roles", rbacWriteVerbs...),
	on("rbac.authorization.k8s.io", "clusterroles", rbacWriteVerbs...),
)

func init() { check.Register(RBACWrite) }
