package network

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PolicySelectsNoPods finds policies whose podSelector matches none of the
// workloads of their namespace: usually a label typo, and the pods meant
// to be protected are not.
//
// Reads: NetworkPolicy spec.podSelector; workload pod template labels.
// Allows: a policy that selects at least one workload. Only judged in a
// cluster scan, and there only in namespaces that run pods: manifests rarely
// hold every pod (operators create them from custom resources, controllers
// at run time; on the corpus every file-mode finding was such a pod), so a
// file scan cannot tell a typo from a pod it does not see.
var PolicySelectsNoPods = &check.Check{
	Meta: check.Meta{
		ID:        "netpol-policy-selects-no-pods",
		Title:     "NetworkPolicy selects no pods",
		Severity:  check.Low,
		Category:  check.CategoryNetwork,
		Rationale: "A policy that selects nothing protects nothing; when it was meant for existing pods, they are left open.",
		Fix:       "Fix spec.podSelector to match the labels of the pod template it is meant for, or delete the policy.",
		Reads:     []string{"NetworkPolicy spec.podSelector", "metadata.labels of pod templates"},
		Refs:      references,
	},
	Needs:          needs,
	Inventory:      policySelectsNoPods,
	NamespaceLocal: true,
}

func init() { check.Register(PolicySelectsNoPods) }

func policySelectsNoPods(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for i, info := range a.infos {
		if len(info.Selected) > 0 || !a.Cluster || !a.hasWorkloads(info.Ref.Namespace) {
			continue
		}
		sel := metav1.FormatLabelSelector(&a.Input.Policies[i].Spec.PodSelector)
		out = append(out, check.Result{Object: a.Policies[i], Path: fieldpath.New("spec", "podSelector"), Message: fmt.Sprintf(
			"podSelector %s matches none of the %d workloads of namespace %q in this scan", sel, len(a.workloads[info.Ref.Namespace]), info.Ref.Namespace)})
	}
	return out
}
