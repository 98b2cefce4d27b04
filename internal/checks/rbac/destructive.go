package rbac

import "github.com/kubeward/kubeward/internal/check"

// Destructive reports roles that grant delete or deletecollection on
// workloads, Secrets, Services and persistent storage, or delete on pod
// logs.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with verbs
// and resources "*" (rbac-wildcard reports those once). Namespaces, events
// and RBAC objects have checks of their own (rbac-namespace-modification,
// rbac-event-deletion, rbac-rbac-write).
var Destructive = permissionCheck(check.Meta{
	ID:    "rbac-destructive",
	Title: "Role can delete workloads, Secrets or storage",
	Rationale: "Deleting Deployments, pods, Services, Secrets or PersistentVolumeClaims takes applications down " +
		"and destroys data; deleting pods also deletes their logs, covering an intruder's tracks. A leaked " +
		"credential with these rights is a ransom note.",
	Fix: "Grant delete only to the controllers and pipelines that own the objects, limited to their names " +
		"(resourceNames) and namespaces; people get it through a break-glass role.",
	Reads: []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Refs: append([]check.Reference{check.MITRE("T1485", "Data Destruction"),
		check.MITRE("T1070", "Indicator Removal")}, references...),
	Peers: []check.Peer{
		check.Kubescape("C-0007"),
		check.Trivy("KSV042").Differs("the API serves no delete on pods/log; kubeward matches such rules as Trivy does, and also deletes of the pods that hold the logs"),
	},
},
	destructiveMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var deleteVerbs = []string{"delete", "deletecollection"}

var destructiveMatch matcher = anyOf(
	on("", "pods", deleteVerbs...),
	on("", "pods/log", deleteVerbs...),
	on("", "secrets", deleteVerbs...),
	on("", "services", deleteVerbs...),
	on("", "persistentvolumeclaims", deleteVerbs...),
	on("", "persistentvolumes", deleteVerbs...),
	on("", "replicationcontrollers", deleteVerbs...),
	on("apps", "deployments", deleteVerbs...),
	on("apps", "replicasets", deleteVerbs...),
	on("apps", "statefulsets", deleteVerbs...),
	on("apps", "daemonsets", deleteVerbs...),
	on("batch", "jobs", deleteVerbs...),
	on("batch", "cronjobs", deleteVerbs...),
)

func init() { check.Register(Destructive) }
