package network

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/netpol"
)

// PodNotSelectedIngress finds workloads that no ingress policy selects in a
// namespace that has ingress policies: the workload escaped them, usually
// through a label the policies do not expect.
//
// Reads: workload pod template labels; NetworkPolicy spec.podSelector and
// spec.policyTypes. Allows: a workload selected by at least one policy with
// Ingress in its policyTypes. Namespaces without any ingress policy are left
// to netpol-namespace-default-deny-ingress; host-network pods are skipped
// (policies do not reliably apply to them).
var PodNotSelectedIngress = &check.Check{
	Meta: check.Meta{
		ID:        "netpol-pod-not-selected-ingress",
		Title:     "Workload is not selected by any ingress NetworkPolicy",
		Severity:  check.Medium,
		Category:  check.CategoryNetwork,
		Rationale: "A pod that no ingress policy selects accepts connections from anywhere, even in a namespace where other pods are locked down.",
		Fix:       "Select the workload with an ingress policy (or add a namespace-wide default deny) and allow only the sources it needs.",
		Reads:     []string{"metadata.labels of pod templates", "NetworkPolicy spec.podSelector", "NetworkPolicy spec.policyTypes"},
		Peers:     []check.Peer{check.KubeLinter("non-isolated-pod"), check.Kubescape("C-0260"), check.Kubescape("C-0030")},
		Refs:      references,
	},
	Needs:          needs,
	Inventory:      notSelected(netpol.Ingress),
	NamespaceLocal: true,
}

func init() { check.Register(PodNotSelectedIngress) }
