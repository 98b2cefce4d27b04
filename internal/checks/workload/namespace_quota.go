package workload

import (
	"fmt"
	"slices"
	"strings"

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

// cpuQuotas and memoryQuotas are the ResourceQuota resources that bound
// what one namespace's pods take from the nodes.
var (
	cpuQuotas    = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceRequestsCPU, corev1.ResourceLimitsCPU}
	memoryQuotas = []corev1.ResourceName{corev1.ResourceMemory, corev1.ResourceRequestsMemory, corev1.ResourceLimitsMemory}
)

func capsAny(hard corev1.ResourceList, names []corev1.ResourceName) bool {
	for _, n := range names {
		if _, ok := hard[n]; ok {
			return true
		}
	}
	return false
}

// NamespaceResourceQuota reports namespaces that no ResourceQuota bounds,
// and ResourceQuotas that cap neither CPU nor memory, or only one of them.
//
// Reads: Namespace objects; spec.hard of ResourceQuotas.
// Allows: a namespace with a ResourceQuota; a quota that caps both CPU and
// memory (requests, limits or the plain names); system namespaces.
// Namespaces are judged where the scan holds their Namespace object: a
// manifest that only deploys into a namespace does not own its quota.
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
		Peers: []check.Peer{check.Trivy("KSV040").Differs("Trivy reports every object that is not a ResourceQuota capping all four of requests.cpu, requests.memory, limits.cpu and limits.memory; " +
			"kubeward reports each namespace without a quota, and quotas that cap CPU or memory in no form")},
	},
	NamespaceLocal: true,
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		out := namespacesWithout(ctx, inv, kindResourceQuota, "no ResourceQuota caps what its pods take")
		for _, o := range inv.ByKind(kindResourceQuota) {
			q, ok := o.Typed.(*corev1.ResourceQuota)
			if !ok {
				continue
			}
			var missing []string
			if !capsAny(q.Spec.Hard, cpuQuotas) {
				missing = append(missing, "CPU")
			}
			if !capsAny(q.Spec.Hard, memoryQuotas) {
				missing = append(missing, "memory")
			}
			if len(missing) > 0 {
				out = append(out, check.Result{Object: o, Path: fieldpath.New("spec", "hard"),
					Message: fmt.Sprintf("ResourceQuota %s caps no %s (requests.*, limits.* or the plain name)", o.Name, strings.Join(missing, " and no "))})
			}
		}
		return out
	},
	Needs:      []schema.GroupKind{kindResourceQuota},
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

// NamespaceLimitRange reports namespaces without a LimitRange, and
// LimitRanges that give containers neither a default limit nor a maximum.
//
// Reads: Namespace objects; spec.limits of LimitRanges.
// Allows: a namespace with a LimitRange; a LimitRange with a Container
// item that sets default or max; system namespaces. Namespaces are judged
// where the scan holds their Namespace object.
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
		Peers: []check.Peer{check.Trivy("KSV039").Differs("Trivy reports every object that is not a LimitRange item with all of type, min, max, default and defaultRequest; " +
			"kubeward reports each namespace without a LimitRange, and LimitRanges that give containers neither a default nor a maximum")},
	},
	NamespaceLocal: true,
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		out := namespacesWithout(ctx, inv, kindLimitRange, "no LimitRange gives containers default or maximum resources")
		for _, o := range inv.ByKind(kindLimitRange) {
			lr, ok := o.Typed.(*corev1.LimitRange)
			if !ok || slices.ContainsFunc(lr.Spec.Limits, func(l corev1.LimitRangeItem) bool {
				return l.Type == corev1.LimitTypeContainer && (len(l.Default) > 0 || len(l.Max) > 0)
			}) {
				continue
			}
			out = append(out, check.Result{Object: o, Path: fieldpath.New("spec", "limits"),
				Message: fmt.Sprintf("LimitRange %s gives containers neither a default limit nor a maximum", o.Name)})
		}
		return out
	},
	Needs:      []schema.GroupKind{kindLimitRange},
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

func init() { check.Register(NamespaceResourceQuota, NamespaceLimitRange) }

// namespacesWithout reports the Namespace objects of the scan, other than
// system namespaces, that hold no object of kind gk.
func namespacesWithout(ctx *check.Context, inv *inventory.Inventory, gk schema.GroupKind, what string) []check.Result {
	covered := map[string]bool{}
	for _, o := range inv.ByKind(gk) {
		covered[o.Namespace] = true
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
