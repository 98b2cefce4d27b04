package workload

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// MemoryLimit requires a memory limit on every container, as it will be once
// admitted: the container's own, a LimitRange default of its namespace, or
// a pod-level limit.
//
// Reads: spec.containers[*].resources.limits.memory,
// spec.initContainers[*].resources.limits.memory, spec.resources.limits.memory,
// LimitRange spec.limits[type=Container] default and max.
// Allows: any of those sources. Init containers are checked (they run on the
// node too); ephemeral containers cannot have resources and are skipped.
// Only LimitRanges in the scan are known: scan the namespace's LimitRange
// along with the workloads, or suppress where a cluster default applies.
var MemoryLimit = &check.Check{
	Meta: check.Meta{
		ID:       "memory-limit",
		Title:    "Container has no memory limit",
		Severity: check.Medium,
		Category: check.CategoryWorkload,
		Rationale: "Memory cannot be throttled, only reclaimed by killing. A container without a limit can grow " +
			"through a leak, a load spike or an attack until the node runs short, and the kernel or the kubelet then " +
			"kills or evicts other pods on that node. A limit confines the damage to the container itself.",
		Fix: "Set resources.limits.memory on the container (usually equal to, or a little above, its memory " +
			"request), or give the namespace a LimitRange with a default memory limit.",
		Reads: []string{"spec.containers[*].resources.limits.memory", "spec.initContainers[*].resources.limits.memory",
			"spec.resources.limits.memory", "LimitRange spec.limits"},
		Peers: []check.Peer{check.Trivy("KSV018"), check.Polaris("memoryLimitsMissing"), check.Kubescape("C-0004"), check.Kubescape("C-0009")},
		Refs:  []check.Reference{check.NSA("Network separation and hardening: resource policies")},
	},
	Inventory:      memoryLimit,
	NamespaceLocal: true,
	Needs:          resourceNeeds,
}

func init() { check.Register(MemoryLimit) }

func memoryLimit(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	return missingLimits(ctx, inv, corev1.ResourceMemory, "memory")
}
