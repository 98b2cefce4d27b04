package rbac

import "github.com/kubeward/kubeward/internal/check"

// PVCreation reports roles that grant create on persistentvolumes.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var PVCreation = permissionCheck(check.Meta{
	ID:        "rbac-persistentvolume-creation",
	Title:     "Role can create PersistentVolumes",
	Rationale: "A PersistentVolume can be a hostPath on the node: claiming it mounts the node's file system into a pod.",
	Fix:       "Let a provisioner create volumes from StorageClasses; grant people persistentvolumeclaims instead.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	pvCreationMatch,
	severities{cluster: check.High, namespaced: check.High})

var pvCreationMatch matcher = on("", "persistentvolumes", "create")

func init() { check.Register(PVCreation) }
