package rbac

import "github.com/kubeward/kubeward/internal/check"

// Impersonate reports roles that grant impersonate on users, groups, serviceaccounts, uids or userextras.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var Impersonate = permissionCheck(check.Meta{
	ID:        "rbac-impersonate",
	Title:     "Role grants impersonation",
	Rationale: "Impersonating a user, group (system:masters) or service account is acting with its rights.",
	Fix:       "Remove impersonate, or restrict it with resourceNames to identities with fewer rights than the holder.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Kubescape("C-0065"), check.Trivy("KSV043")},
},
	impersonateMatch,
	severities{cluster: check.Critical, namespaced: check.High})

var impersonateMatch matcher = anyOf(on("", "users", "impersonate"), on("", "groups", "impersonate"), on("", "serviceaccounts", "impersonate"), on("authentication.k8s.io", "uids", "impersonate"), on("authentication.k8s.io", "userextras/scopes", "impersonate"))

func init() { check.Register(Impersonate) }
