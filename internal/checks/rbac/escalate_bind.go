package rbac

import "github.com/kubeward/kubeward/internal/check"

// EscalateBind reports roles that grant escalate or bind on roles or clusterroles.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var EscalateBind = permissionCheck(check.Meta{
	ID:        "rbac-escalate-bind",
	Title:     "Role grants escalate or bind on roles",
	Rationale: "The API server only stops privilege escalation through RBAC by checking that you hold what you grant; escalate and bind switch that check off.",
	Fix:       "Remove escalate and bind; where a controller must bind a fixed role, name it in resourceNames.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	escalateBindMatch,
	severities{cluster: check.Critical, namespaced: check.High})

var escalateBindMatch matcher = anyOf(on("rbac.authorization.k8s.io", "clusterroles", "escalate", "bind"), on("rbac.authorization.k8s.io", "roles", "escalate", "bind"))

func init() { check.Register(EscalateBind) }
