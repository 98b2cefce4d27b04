package rbac

import "github.com/kubeward/kubeward/internal/check"

// EventDeletion reports roles that grant delete or deletecollection on events (core and events.k8s.io).
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var EventDeletion = permissionCheck(check.Meta{
	ID:        "rbac-event-deletion",
	Title:     "Role can delete events",
	Rationale: "Deleting events hides what happened from responders.",
	Fix:       "Remove delete on events; events expire on their own.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Kubescape("C-0031")},
},
	eventDeletionMatch,
	severities{cluster: check.Low, namespaced: check.Low})

var eventDeletionMatch matcher = anyOf(on("", "events", "delete", "deletecollection"), on("events.k8s.io", "events", "delete", "deletecollection"))

func init() { check.Register(EventDeletion) }
