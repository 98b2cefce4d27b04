package network

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/netpol"
)

// DefaultDenyIngress requires a default-deny ingress policy in every
// namespace that runs workloads.
//
// Reads: NetworkPolicy spec.podSelector, spec.policyTypes and spec.ingress,
// and the namespaces of workloads. Allows: a namespace with a policy whose
// podSelector is {} and whose (defaulted) policyTypes include Ingress, and
// none of whose ingress rules is {} (which would allow everything).
// Namespaces without workloads in the scan and the system namespaces are
// not judged.
var DefaultDenyIngress = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-namespace-default-deny-ingress",
		Title:    "Namespace has no default-deny ingress NetworkPolicy",
		Severity: check.Medium,
		Category: check.CategoryNetwork,
		Rationale: "Pods are open to every pod of the cluster and every address until a policy selects them. " +
			"A default deny makes every new workload closed until its traffic is allowed on purpose.",
		Fix: "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress rules to the namespace " +
			"(`kubeward netpol generate` writes it), then allow what each workload needs.",
		Reads: []string{"NetworkPolicy spec.podSelector", "NetworkPolicy spec.policyTypes", "NetworkPolicy spec.ingress"},
		Peers: []check.Peer{check.Kubescape("C-0054")},
		Refs:  references,
	},
	Needs:          needs,
	Inventory:      defaultDeny(netpol.Ingress),
	NamespaceLocal: true,
}

func init() { check.Register(DefaultDenyIngress) }
