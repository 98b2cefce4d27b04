package rbac

import "github.com/kubeward/kubeward/internal/check"

// NamespaceModification reports roles that grant update, patch or delete on namespaces.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var NamespaceModification = permissionCheck(check.Meta{
	ID:        "rbac-namespace-modification",
	Title:     "Role can change or delete namespaces",
	Rationale: "Namespace labels switch Pod Security admission levels and select NetworkPolicies; deleting a namespace deletes everything in it.",
	Fix:       "Leave namespace changes to cluster administrators and the pipeline that owns namespaces.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	namespaceModificationMatch,
	severities{cluster: check.Medium, namespaced: check.Medium})

var namespaceModificationMatch matcher = on("", "namespaces", "update", "patch", "delete")

func init() { check.Register(NamespaceModification) }
