package workload

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
)

// DefaultNamespace reports workloads placed in the default namespace.
//
// Reads: metadata.namespace of workloads.
// Allows: any other namespace, and no namespace at all: a manifest without
// one is applied to whatever namespace the deployer chooses (kubectl -n,
// Helm --namespace, a Kustomize namespace field, an Argo CD destination), so
// only an explicit "default" is known to land there. A cluster scan sees the
// real namespace, so there every workload in default is reported.
var DefaultNamespace = &check.Check{
	Meta: check.Meta{
		ID:       "default-namespace",
		Title:    "Workload runs in the default namespace",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "The default namespace is where everything lands that names no namespace, so workloads there " +
			"share their service account, quotas, NetworkPolicies and RBAC grants with whatever else is put there " +
			"by accident, and namespace-based policies cannot tell them apart.",
		Fix:   "Create a namespace for the application and deploy the workload there (metadata.namespace, or the deployer's namespace setting).",
		Reads: []string{"metadata.namespace"},
		Peers: []check.Peer{check.Trivy("KSV110"), check.Kubescape("C-0061"), check.KubeLinter("use-namespace")},
		Refs: []check.Reference{
			check.CIS("5.6.4", "The default namespace should not be used"),
			check.NSA("Network separation and hardening: namespaces"),
		},
	},
	Pod: defaultNamespace,
}

func init() { check.Register(DefaultNamespace) }

var namespacePath = fieldpath.New("metadata", "namespace")

func defaultNamespace(_ *check.Context, p *inventory.Pod) []check.Result {
	if p.Namespace() != "default" {
		return nil
	}
	return []check.Result{{Path: namespacePath, Message: "the workload is deployed to the default namespace"}}
}
