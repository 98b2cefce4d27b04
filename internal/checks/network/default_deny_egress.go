package network

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/netpol"
)

// DefaultDenyEgress requires a default-deny egress policy in every
// namespace that runs workloads.
//
// Reads: NetworkPolicy spec.podSelector, spec.policyTypes and spec.egress,
// and the namespaces of workloads. Allows: a namespace with a policy whose
// podSelector is {} and whose policyTypes include Egress, and none of whose
// egress rules is {}. Namespaces without workloads in the scan and the
// system namespaces are not judged.
var DefaultDenyEgress = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-namespace-default-deny-egress",
		Title:    "Namespace has no default-deny egress NetworkPolicy",
		Severity: check.Medium,
		Category: check.CategoryNetwork,
		Rationale: "Without egress isolation a compromised pod can reach every service of the cluster, the internet " +
			"and the cloud metadata endpoint, which hands out node credentials.",
		Fix: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] that allows only DNS to kube-dns " +
			"(`kubeward netpol generate` writes both), then allow what each workload needs.",
		Reads: []string{"NetworkPolicy spec.podSelector", "NetworkPolicy spec.policyTypes", "NetworkPolicy spec.egress"},
		Refs:  references,
	},
	Needs:          needs,
	Inventory:      defaultDeny(netpol.Egress),
	NamespaceLocal: true,
}

func init() { check.Register(DefaultDenyEgress) }
