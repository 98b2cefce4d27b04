package rbac

import "github.com/kubeward/kubeward/internal/check"

// PodEviction reports roles that grant create on pods/eviction.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var PodEviction = permissionCheck(check.Meta{
	ID:        "rbac-pod-eviction",
	Title:     "Role can evict pods",
	Rationale: "Evicting pods repeatedly is a denial of service and can move pods onto nodes an attacker controls.",
	Fix:       "Grant eviction only to node-maintenance tooling.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	podEvictionMatch,
	severities{cluster: check.Low, namespaced: check.Low})

var podEvictionMatch matcher = on("", "pods/eviction", "create")

func init() { check.Register(PodEviction) }
