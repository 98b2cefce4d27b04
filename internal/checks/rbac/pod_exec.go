package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// PodExec reports roles that grant create on pods/exec, pods/attach and
// pods/portforward; update or patch on pods/ephemeralcontainers; and get
// on the three streams, which is what kubectl's WebSocket connection asks.
// Since Kubernetes 1.35 the API server also requires create for that get
// (feature gate AuthorizePodWebsocketUpgradeCreatePermission, on by
// default; internal/rbac ConnectNote), so get alone opens nothing and is reported
// at low severity, as a grant that opens a shell only on an older API
// server; judged for an older release (--kube-version, or a cluster scan
// of one) it is reported as exec.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var PodExec = permissionCheck(check.Meta{
	ID:        "rbac-pod-exec",
	Title:     "Role can exec, attach, port-forward or add ephemeral containers",
	Rationale: "A shell in a running pod is its service account, its mounted Secrets and its network position.",
	Fix:       "Grant exec only for break-glass roles, bound for a limited time; use logs and metrics for routine debugging.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV053"), check.Trivy("KSV054"), check.Kubescape("C-0002"), check.Kubescape("C-0063"), check.Polaris("clusterrolePodExecAttach"), check.Polaris("rolePodExecAttach"), check.Polaris("clusterrolebindingPodExecAttach"), check.Polaris("rolebindingClusterRolePodExecAttach"), check.Polaris("rolebindingRolePodExecAttach")},
},
	anyOf(podExecMatch, podStreamGetMatch),
	severities{cluster: check.High, namespaced: check.Medium, adjust: podStreamGetSeverity})

// podExecMatch is what opens a shell or a tunnel into a pod on every
// release (the risk summaries and escalation paths use it).
var podExecMatch matcher = anyOf(on("", "pods/exec", "create"), on("", "pods/attach", "create"), on("", "pods/portforward", "create"), on("", "pods/ephemeralcontainers", "update", "patch"))

// podStreamGetMatch is get on a stream, enough before Kubernetes 1.35.
var podStreamGetMatch matcher = func(r *rbacv1.PolicyRule) (string, bool) {
	w, ok := anyOf(on("", "pods/exec", "get"), on("", "pods/attach", "get"), on("", "pods/portforward", "get"))(r)
	if !ok {
		return "", false
	}
	return w + " (alone, a shell only on an API server older than 1.35, which did not also require create)", true
}

// podStreamGetSeverity lowers a rule that grants a stream by get alone to
// low where the judged release also requires create (1.35 and later).
func podStreamGetSeverity(ctx *check.Context, _ *inventory.Inventory, _ holders, r *rbacv1.PolicyRule, s check.Severity) check.Severity {
	if _, ok := podExecMatch(r); ok || !createAlsoRequired(ctx.Options) {
		return s
	}
	return check.Low
}

// createAlsoRequired reports whether the judged release checks create on a
// pod stream's get: the scanned API server's version, else --kube-version,
// else kubeward's own release (1.37), which does.
func createAlsoRequired(o *check.Options) bool {
	if o == nil {
		return true
	}
	for _, s := range []string{o.ServerVersion, o.KubeVersion} {
		if v, err := version.ParseGeneric(strings.TrimSpace(s)); err == nil {
			return v.AtLeast(version.MajorMinor(1, 35))
		}
	}
	return true
}

func init() { check.Register(PodExec) }
