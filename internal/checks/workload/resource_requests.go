package workload

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// ResourceRequests requires CPU and memory requests on every long-running
// container, as they will be once admitted: the container's own, its limit
// (the API copies a limit into a missing request), a LimitRange default of
// its namespace, or a pod-level request.
//
// Reads: spec.containers[*].resources, spec.initContainers[*].resources of
// sidecars (restartPolicy: Always), spec.resources.requests, LimitRange
// spec.limits[type=Container] defaultRequest, default, max and min.
// Allows: any of those sources. Plain init containers are skipped: they run
// one at a time before the pod starts and the scheduler counts the largest
// of them, so a missing request there rarely misleads it.
var ResourceRequests = &check.Check{
	Meta: check.Meta{
		ID:       "resource-requests",
		Title:    "Container has no CPU or memory request",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "The scheduler places pods by their requests. A container without them is counted as needing " +
			"nothing, so nodes get overcommitted, and a pod without any request is BestEffort: the first to be " +
			"evicted under pressure, and starved of CPU by its neighbours.",
		Fix: "Set resources.requests.cpu and resources.requests.memory to what the container uses under normal " +
			"load, or give the namespace a LimitRange with default requests.",
		Reads: []string{"spec.containers[*].resources.requests", "spec.containers[*].resources.limits",
			"spec.resources.requests", "LimitRange spec.limits"},
		Peers: []check.Peer{check.Trivy("KSV015"), check.Trivy("KSV016"), check.Polaris("cpuRequestsMissing"), check.Polaris("memoryRequestsMissing"), check.KubeLinter("unset-cpu-requirements"), check.KubeLinter("unset-memory-requirements")},
		Refs:  []check.Reference{check.NSA("Network separation and hardening: resource policies")},
	},
	Inventory:      resourceRequests,
	NamespaceLocal: true,
	Needs:          resourceNeeds,
}

func init() { check.Register(ResourceRequests) }

func resourceRequests(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	defaults := limitRangeDefaults(ctx, inv)
	var out []check.Result
	for _, p := range inv.Pods() {
		d := defaults[p.Namespace()]
		for _, c := range p.Containers() {
			if !longRunning(c) {
				continue
			}
			var missing []string
			if effectiveRequest(d, p, c, corev1.ResourceCPU) == unset {
				missing = append(missing, "CPU")
			}
			if effectiveRequest(d, p, c, corev1.ResourceMemory) == unset {
				missing = append(missing, "memory")
			}
			if len(missing) == 0 {
				continue
			}
			out = append(out, check.Result{
				Object: p.Object,
				Pod:    p,
				Path:   c.Path.Child("resources", "requests"),
				Message: fmt.Sprintf("container %q has no %s request, and %s", c.Name,
					strings.Join(missing, " or "), noDefault(p.Namespace())),
				Cause: resourcesCause(c),
				Facet: "no " + strings.Join(missing, " or ") + " request",
			})
		}
	}
	return out
}
