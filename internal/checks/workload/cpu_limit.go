package workload

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// CPULimit notes containers without a CPU limit, as they will be once
// admitted: the container's own, a LimitRange default of its namespace, or
// a pod-level limit. It is informational on purpose: see the rationale.
//
// Reads: spec.containers[*].resources.limits.cpu,
// spec.initContainers[*].resources.limits.cpu, spec.resources.limits.cpu,
// LimitRange spec.limits[type=Container] default and max.
// Allows: any of those sources. Ephemeral containers are skipped.
var CPULimit = &check.Check{
	Meta: check.Meta{
		ID:       "cpu-limit",
		Title:    "Container has no CPU limit",
		Severity: check.Info,
		Category: check.CategoryWorkload,
		Rationale: "CPU limits are debated. Without one, a busy container can use the node's idle CPU, but its " +
			"request still guarantees its neighbours their share, so it cannot starve them; with one, the kernel " +
			"throttles the container even on an idle node, which often hurts latency more than it protects anything. " +
			"Reported as information for teams whose policy (or a ResourceQuota on limits.cpu) requires limits; " +
			"a CPU request (see resource-requests) is what matters for fairness.",
		Fix: "If your policy requires CPU limits, set resources.limits.cpu, or give the namespace a LimitRange " +
			"with a default CPU limit; otherwise exclude this check.",
		Reads: []string{"spec.containers[*].resources.limits.cpu", "spec.initContainers[*].resources.limits.cpu",
			"spec.resources.limits.cpu", "LimitRange spec.limits"},
		Peers: []check.Peer{check.Trivy("KSV011"), check.Polaris("cpuLimitsMissing"), check.Kubescape("C-0050")},
		Refs:  []check.Reference{check.NSA("Network separation and hardening: resource policies")},
	},
	Inventory:      cpuLimit,
	NamespaceLocal: true,
	Needs:          resourceNeeds,
}

func init() { check.Register(CPULimit) }

func cpuLimit(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	return missingLimits(ctx, inv, corev1.ResourceCPU, "CPU")
}
