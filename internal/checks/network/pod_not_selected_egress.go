package network

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/netpol"
)

// PodNotSelectedEgress finds workloads that no egress policy selects in a
// namespace that has egress policies.
//
// Reads: workload pod template labels; NetworkPolicy spec.podSelector and
// spec.policyTypes. Allows: a workload selected by at least one policy with
// Egress in its (defaulted) policyTypes. Namespaces without any egress
// policy are left to netpol-namespace-default-deny-egress; host-network pods
// are skipped.
var PodNotSelectedEgress = &check.Check{
	Meta: check.Meta{
		ID:        "netpol-pod-not-selected-egress",
		Title:     "Workload is not selected by any egress NetworkPolicy",
		Severity:  check.Low,
		Category:  check.CategoryNetwork,
		Rationale: "A pod that no egress policy selects may connect anywhere, even where its neighbours are restricted.",
		Fix:       "Select the workload with an egress policy (or add a namespace-wide default deny for egress) and allow only the destinations it needs.",
		Reads:     []string{"metadata.labels of pod templates", "NetworkPolicy spec.podSelector", "NetworkPolicy spec.policyTypes"},
		Refs:      references,
	},
	Needs:          needs,
	Inventory:      notSelected(netpol.Egress),
	NamespaceLocal: true,
}

func init() { check.Register(PodNotSelectedEgress) }
