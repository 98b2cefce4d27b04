package rbac

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

// WorkloadServiceAccount reports workloads whose service account holds
// high-risk permissions (see rbac-cloud-iam-service-account for the list),
// so the blast radius of the pod shows where the workload is defined. It
// names each risk by the finding on the rule (or binding) that grants it,
// the root cause, rather than restating the rule.
//
// Reads: the pod template's spec.serviceAccountName (default "default") and
// automountServiceAccountToken, and the account's effective permissions.
// Allows: workloads of system namespaces, and pods that do not mount a
// token (automountServiceAccountToken: false on the pod, or on the account
// when the pod does not say).
var WorkloadServiceAccount = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-workload-service-account",
		Title:    "Workload runs as a service account with high-risk permissions",
		Severity: check.Medium,
		Category: check.CategoryRBAC,
		Rationale: "Whoever gets code execution in the pod (a vulnerable dependency, an exposed debug endpoint) holds its " +
			"token, and with it the account's rights.",
		Fix: "Run the workload as a dedicated service account with only what it needs, or set automountServiceAccountToken: false " +
			"when it does not talk to the API server.",
		Reads: []string{"spec.serviceAccountName", "spec.automountServiceAccountToken", "ServiceAccount automountServiceAccountToken"},
		Refs:  references,
	},
	Needs:     needs,
	Inventory: workloadServiceAccount,
}

func init() { check.Register(WorkloadServiceAccount) }

func workloadServiceAccount(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	cache := map[authz.Subject][]heldRisk{}
	var out []check.Result
	for _, p := range inv.Pods() {
		o := p.Object
		if o.GroupKind() == inventory.KindPodTemplate || o.Controller != nil {
			continue
		}
		s := authz.Subject{Kind: authz.KindServiceAccount, Namespace: rbacinv.Namespace(o), Name: p.ServiceAccountName()}
		if exempt(ctx, s) {
			continue
		}
		mount := p.Spec.AutomountServiceAccountToken
		if mount == nil {
			if sa := m.ServiceAccounts[s]; sa != nil {
				mount = sa.AutomountServiceAccountToken
			}
		}
		if mount != nil && !*mount {
			continue
		}
		risks, ok := cache[s]
		if !ok {
			risks = riskSummary(m.Model, catalog(ctx), authz.UserInfoFor(s), s.Namespace)
			cache[s] = risks
		}
		if len(risks) == 0 {
			continue
		}
		out = append(out, check.Result{Object: o, Pod: p, Path: p.SpecPath.Child("serviceAccountName"),
			Message: fmt.Sprintf("pods run as %s, which holds %s", s, referRisks(risks, m.Cluster))})
	}
	return out
}
