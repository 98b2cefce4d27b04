package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// AutomountServiceAccountToken reports pods that get an API token they have
// no use for: the token is mounted, yet no RoleBinding or ClusterRoleBinding
// of the scan grants their (non-default) service account anything.
//
// Reads: spec.automountServiceAccountToken and spec.serviceAccountName of
// pods; automountServiceAccountToken of their ServiceAccount when the scan
// holds it; the subjects of RoleBindings and ClusterRoleBindings.
// Allows: a token that is not mounted (the pod says false, or says nothing
// and its ServiceAccount says false); a pod that says true itself (a decision,
// not an oversight: tokens also authenticate to Vault and cloud IAM); an
// account that a binding names, since it needs its token to use the grant.
// When the ServiceAccount is not in the scan, the pod alone decides, and the
// message says so. Pods of the default service account are left to
// default-service-account, so one problem is reported once.
var AutomountServiceAccountToken = &check.Check{
	Meta: check.Meta{
		ID:       "automount-service-account-token",
		Title:    "Pod mounts a service account token it does not use",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Every container of the pod can read the mounted token and act as the service account against " +
			"the API server. An account without grants today is still an identity: it can discover the API, and it " +
			"gains whatever is later bound to it. A token that is not mounted cannot be stolen.",
		Fix: "Set automountServiceAccountToken: false on the pod spec (or on the ServiceAccount, for every pod " +
			"using it); if the pod does call the API, bind the Role it needs to its service account.",
		Reads: []string{"spec.automountServiceAccountToken", "spec.serviceAccountName",
			"ServiceAccount automountServiceAccountToken", "RoleBinding and ClusterRoleBinding subjects"},
		Peers: []check.Peer{check.Trivy("KSV036"), check.Kubescape("C-0034"), check.Polaris("automountServiceAccountToken")},
		Refs: []check.Reference{
			check.CIS("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
			check.NSA("Pod security: protecting Pod service account tokens"),
		},
	},
	Inventory: automountServiceAccountToken,
	Needs: append([]schema.GroupKind{inventory.KindServiceAccount, inventory.KindRoleBinding, inventory.KindClusterRoleBinding},
		inventory.WorkloadKinds...),
}

func init() { check.Register(AutomountServiceAccountToken) }

func automountServiceAccountToken(_ *check.Context, inv *inventory.Inventory) []check.Result {
	bound := boundAccounts(inv)
	var out []check.Result
	for _, p := range inv.Pods() {
		sa := p.ServiceAccountName()
		if sa == "default" {
			continue
		}
		t := podToken(inv, p)
		if !t.Mounted || t.PodSays != nil || bound.has(p.Namespace(), sa) {
			continue
		}
		msg := fmt.Sprintf("the token of service account %q is mounted, but no RoleBinding or ClusterRoleBinding in the scan grants it anything", sa)
		if t.Account == nil {
			msg += " (its ServiceAccount is not in the scan: judged by the pod alone)"
		}
		out = append(out, check.Result{Object: p.Object, Pod: p, Path: t.Field, Message: msg})
	}
	return out
}
