package rbac

import "github.com/kubeward/kubeward/internal/check"

// PodCreation reports roles that grant create on pods; create, update or patch on deployments, daemonsets, statefulsets, replicasets, jobs, cronjobs and replicationcontrollers.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var PodCreation = permissionCheck(check.Meta{
	ID:        "rbac-pod-creation",
	Title:     "Role can create or change pods and pod controllers",
	Rationale: "A pod runs as any service account of its namespace and can mount its Secrets and host paths the admission policy allows, so pod creation inherits every right of every account in the namespace.",
	Fix:       "Give workload write access only to deploy pipelines, and keep namespaces whose service accounts are privileged separate from namespaces where people create pods.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV048"), check.KubeLinter("access-to-create-pods")},
	Refs:      append([]check.Reference{check.CIS("5.1.4", "Minimize access to create pods")}, references...),
},
	podCreationMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var podCreationMatch matcher = anyOf(on("", "pods", "create"), on("apps", "deployments", "create", "update", "patch"), on("apps", "daemonsets", "create", "update", "patch"), on("apps", "statefulsets", "create", "update", "patch"), on("apps", "replicasets", "create", "update", "patch"), on("batch", "jobs", "create", "update", "patch"), on("batch", "cronjobs", "create", "update", "patch"), on("", "replicationcontrollers", "create", "update", "patch"))

func init() { check.Register(PodCreation) }
