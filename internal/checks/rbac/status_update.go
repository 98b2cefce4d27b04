package rbac

import "github.com/kubeward/kubeward/internal/check"

// StatusUpdate reports roles that grant update or patch on pods/status, nodes/status and services/status.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var StatusUpdate = permissionCheck(check.Meta{
	ID:        "rbac-status-update",
	Title:     "Role can write the status of pods, nodes or services",
	Rationale: "Status is trusted by controllers: a forged pod IP or readiness redirects Service traffic, a forged node status attracts or drains pods, a forged load balancer status misleads clients.",
	Fix:       "Leave status writes to the kubelet and controllers; remove them from people's and applications' roles.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	statusUpdateMatch,
	severities{cluster: check.Medium, namespaced: check.Medium})

var statusUpdateMatch matcher = anyOf(on("", "pods/status", "update", "patch"), on("", "nodes/status", "update", "patch"), on("", "services/status", "update", "patch"))

func init() { check.Register(StatusUpdate) }
