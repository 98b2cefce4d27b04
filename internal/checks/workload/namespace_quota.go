package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	kindResourceQuota = schema.GroupKind{Kind: "ResourceQuota"}
	namespaceNamePath = fieldpath.New("metadata", "name")
)

// computeQuotas are the ResourceQuota resources that bound what one
// namespace's pods take from the nodes.
var computeQuotas = []corev1.ResourceName{
	corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourcePods,
}

// NamespaceResourceQuota reports namespaces that no ResourceQuota bounds.
//
// Reads: Namespace objects; spec.hard of ResourceQuotas.
// Allows: a ResourceQuota in the namespace that caps CPU, memory (requests
// or limits) or the number of pods; system namespaces. Namespaces are
// judged where the scan holds their Namespace object: a manifest that only
// deploys into a namespace does not own its quota.
var NamespaceResourceQuota = &check.Check{
	Meta: check.Meta{
		ID:       "namespace-resource-quota",
		Title:    "Namespace has no ResourceQuota",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Without a quota, one namespace's workloads (a runaway autoscaler, a fork bomb of Jobs, a " +
			"compromised tenant mining coins) can take every node's CPU and memory and starve the other tenants " +
			"and the cluster's own components.",
		Fix: "Add a ResourceQuota to the namespace with hard limits on requests.cpu, requests.memory, " +
			"limits.cpu, limits.memory and pods.",
		Reads: []string{"Namespace metadata.name", "ResourceQuota spec.hard"},
		Refs: []check.Reference{
			check.NSA("Network separation and hardening: resource policies"),
			check.MITRE("T1496", "Resource Hijacking"),
		},
		Peers: []check.Peer{check.Trivy("KSV040").Differs("Trivy reports every object that is not itself a ResourceQuota; kubeward reports each namespace without one")},
	},
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		return namespacesWithout(ctx, inv, kindResourceQuota, "no ResourceQuota caps CPU, memory or pods", func(o *inventory.Object) bool {
			q, ok := o.Typed.(*corev1.ResourceQuota)
			if !ok {
				return false
			}
			for _, r := range computeQuotas {
				if _, ok := q.Spec.Hard[r]; ok {
					return true
				}
			}
			return false
		})
	},
	Needs:      []schema.GroupKind{kindResourceQuota},
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

// NamespaceLimitRange reports namespaces without a LimitRange.
//
// Reads: Namespace objects; spec.limits of LimitRanges.
// Allows: a LimitRange in the namespace with at least one limit; system
// namespaces. Namespaces are judged where the scan holds their Namespace
// object.
var NamespaceLimitRange = &check.Check{
	Meta: check.Meta{
		ID:       "namespace-limit-range",
		Title:    "Namespace has no LimitRange",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "A LimitRange gives containers that declare no requests or limits a default, and caps what " +
			"one container may ask for. Without it, a container without limits can take a node's memory, and " +
			"a quota on limits refuses such pods outright instead of defaulting them.",
		Fix:   "Add a LimitRange of type Container with default and defaultRequest for cpu and memory, and a max.",
		Reads: []string{"Namespace metadata.name", "LimitRange spec.limits"},
		Refs: []check.Reference{
			check.NSA("Network separation and hardening: resource policies"),
			check.MITRE("T1496", "Resource Hijacking"),
		},
		Peers: []check.Peer{check.Trivy("KSV039").Differs("Trivy reports every object that is not itself a complete LimitRange; kubeward reports each namespace without one")},
	},
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		return namespacesWithout(ctx, inv, kindLimitRange, "no LimitRange gives containers default or maximum resources", func(o *inventory.Object) bool {
			lr, ok := o.Typed.(*corev1.LimitRange)
			return ok && len(lr.Spec.Limits) > 0
		})
	},
	Needs:      []schema.GroupKind{kindLimitRange},
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

func init() { check.Register(NamespaceResourceQuota, NamespaceLimitRange) }

// namespacesWithout reports the Namespace objects of the scan, other than
// system namespaces, that hold no object of kind gk that counts.
func namespacesWithout(ctx *check.Context, inv *inventory.Inventory, gk schema.GroupKind, what string, counts func(*inventory.Object) bool) []check.Result {
	covered := map[string]bool{}
	for _, o := range inv.ByKind(gk) {
		if counts(o) {
			covered[o.Namespace] = true
		}
	}
	var out []check.Result
	for _, ns := range inv.ByKind(inventory.KindNamespace) {
		if covered[ns.Name] || ctx.Options.IsSystemNamespace(ns.Name) {
			continue
		}
		out = append(out, check.Result{Object: ns, Path: namespaceNamePath,
			Message: fmt.Sprintf("namespace %s: %s", ns.Name, what)})
	}
	return out
}
