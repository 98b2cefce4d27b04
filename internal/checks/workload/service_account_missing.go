package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ServiceAccountMissing reports workloads that name a service account the
// scan does not hold.
//
// Reads: spec.serviceAccountName and spec.serviceAccount (deprecated) of
// every pod spec; the names and namespaces of ServiceAccounts.
// Allows: the default service account (every namespace has one), accounts
// the scan holds in the workload's namespace, and names that are no valid
// object name (placeholders such as <KSA_NAME> left for a templating step;
// the API server would refuse them anyway).
var ServiceAccountMissing = &check.Check{
	Meta: check.Meta{
		ID:       "service-account-missing",
		Title:    "Workload names a service account that does not exist",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Pods that name a missing service account are refused until someone creates it, and whoever " +
			"creates it first, with whatever bindings already name it, decides what the workload may do. " +
			"In a chart or an overlay it usually means the ServiceAccount template was left out or renamed, " +
			"so the permissions reviewed with the chart are not the ones the pods will get.",
		Fix:   "Ship the ServiceAccount with the workload, or correct spec.serviceAccountName.",
		Reads: []string{"spec.serviceAccountName", "spec.serviceAccount", "ServiceAccount metadata.name"},
		Refs: []check.Reference{
			check.CIS("5.1.5", "Ensure that default service accounts are not actively used"),
			check.NSA("Authentication and authorization"),
		},
		Peers: []check.Peer{check.KubeLinter("non-existent-service-account")},
	},
	Inventory:      serviceAccountMissing,
	NamespaceLocal: true,
	Needs:          inventory.WorkloadKinds,
	MetadataOf:     []schema.GroupKind{inventory.KindServiceAccount},
}

func init() { check.Register(ServiceAccountMissing) }

func serviceAccountMissing(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, p := range inv.Pods() {
		name := p.ServiceAccountName()
		if name == "default" || len(validation.IsDNS1123Subdomain(name)) > 0 || inv.Get(inventory.KindServiceAccount, p.Namespace(), name) != nil {
			continue
		}
		path := p.SpecPath.Child("serviceAccountName")
		if p.Spec.ServiceAccountName == "" {
			path = p.SpecPath.Child("serviceAccount")
		}
		where := "the scan"
		if p.Object.Source.Cluster != "" {
			where = "the cluster"
		}
		if ns := p.Namespace(); ns != "" {
			where += "'s namespace " + ns
		}
		out = append(out, check.Result{Object: p.Object, Pod: p, Path: path,
			Message: fmt.Sprintf("service account %q is not in %s", name, where)})
	}
	return out
}
