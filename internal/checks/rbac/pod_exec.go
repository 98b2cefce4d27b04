package rbac

import "github.com/kubeward/kubeward/internal/check"

// PodExec reports roles that grant create on pods/exec, pods/attach and pods/portforward; update or patch on pods/ephemeralcontainers.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, rules with
// verbs and resources "*" (rbac-wildcard reports those once), and get
// alone: since Kubernetes 1.35 the API server also requires create for
// the WebSocket get that kubectl exec, attach and port-forward send
// (feature gate AuthorizePodWebsocketUpgradeCreatePermission, on by
// default; see rbac.ConnectNote).
var PodExec = permissionCheck(check.Meta{
	ID:        "rbac-pod-exec",
	Title:     "Role can exec, attach, port-forward or add ephemeral containers",
	Rationale: "A shell in a running pod is its service account, its mounted Secrets and its network position.",
	Fix:       "Grant exec only for break-glass roles, bound for a limited time; use logs and metrics for routine debugging.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV053"), check.Trivy("KSV054"), check.Kubescape("C-0002"), check.Kubescape("C-0063"), check.Polaris("clusterrolePodExecAttach"), check.Polaris("rolePodExecAttach"), check.Polaris("clusterrolebindingPodExecAttach"), check.Polaris("rolebindingClusterRolePodExecAttach"), check.Polaris("rolebindingRolePodExecAttach")},
},
	podExecMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var podExecMatch matcher = anyOf(on("", "pods/exec", "create"), on("", "pods/attach", "create"), on("", "pods/portforward", "create"), on("", "pods/ephemeralcontainers", "update", "patch"))

func init() { check.Register(PodExec) }
