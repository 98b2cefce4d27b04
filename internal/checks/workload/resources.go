package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kindLimitRange is read by the resource checks: a LimitRange gives the
// containers of its namespace default requests and limits at admission.
var kindLimitRange = schema.GroupKind{Kind: "LimitRange"}

// resourceNeeds are the kinds the resource checks read.
var resourceNeeds = append([]schema.GroupKind{kindLimitRange}, inventory.WorkloadKinds...)

// origin tells where a container's effective request or limit comes from.
type origin int

const (
	unset          origin = iota
	fromContainer         // the container's own resources
	fromLimit             // a request the API defaults to the container's limit
	fromLimitRange        // a LimitRange default of the namespace
	fromPod               // pod-level spec.resources
)

// namespaceDefaults are the container defaults the LimitRanger admission
// plugin applies in one namespace.
type namespaceDefaults struct{ limits, requests corev1.ResourceList }

type limitRangeKey struct{}

// limitRangeDefaults indexes the LimitRanges of the scan by namespace, once
// per run for the three resource checks.
func limitRangeDefaults(ctx *check.Context, inv *inventory.Inventory) map[string]namespaceDefaults {
	return ctx.Memo(limitRangeKey{}, func() any {
		out := map[string]namespaceDefaults{}
		for _, o := range inv.ByKind(kindLimitRange) {
			lr, ok := o.Typed.(*corev1.LimitRange)
			if !ok {
				continue
			}
			d := out[o.Namespace]
			if d.limits == nil {
				d = namespaceDefaults{limits: corev1.ResourceList{}, requests: corev1.ResourceList{}}
			}
			for _, it := range lr.Spec.Limits {
				if it.Type != corev1.LimitTypeContainer {
					continue
				}
				def, req := itemDefaults(it)
				for k, v := range def {
					d.limits[k] = v
				}
				for k, v := range req {
					d.requests[k] = v
				}
			}
			out[o.Namespace] = d
		}
		return out
	}).(map[string]namespaceDefaults)
}

// itemDefaults applies the API's defaulting of a Container LimitRange item:
// max stands in for a missing default limit, and the default limit, then
// min, for a missing default request.
func itemDefaults(it corev1.LimitRangeItem) (limits, requests corev1.ResourceList) {
	limits, requests = corev1.ResourceList{}, corev1.ResourceList{}
	for k, v := range it.Max {
		limits[k] = v
	}
	for k, v := range it.Default {
		limits[k] = v
	}
	for k, v := range it.Min {
		requests[k] = v
	}
	for k, v := range limits {
		requests[k] = v
	}
	for k, v := range it.DefaultRequest {
		requests[k] = v
	}
	return limits, requests
}

// effectiveLimit says where a container's limit of r would come from once
// admitted.
func effectiveLimit(d namespaceDefaults, p *inventory.Pod, c inventory.Container, r corev1.ResourceName) origin {
	switch {
	case has(c.Resources.Limits, r):
		return fromContainer
	case has(d.limits, r):
		return fromLimitRange
	case p.Spec.Resources != nil && has(p.Spec.Resources.Limits, r):
		return fromPod
	}
	return unset
}

// effectiveRequest says where a container's request of r would come from.
func effectiveRequest(d namespaceDefaults, p *inventory.Pod, c inventory.Container, r corev1.ResourceName) origin {
	switch {
	case has(c.Resources.Requests, r):
		return fromContainer
	case has(c.Resources.Limits, r):
		return fromLimit
	case has(d.requests, r):
		return fromLimitRange
	case p.Spec.Resources != nil && has(p.Spec.Resources.Requests, r):
		return fromPod
	}
	return unset
}

func has(l corev1.ResourceList, r corev1.ResourceName) bool {
	_, ok := l[r]
	return ok
}

// longRunning reports whether a container runs for the pod's life: a
// regular container or a sidecar (an init container that restarts always).
func longRunning(c inventory.Container) bool {
	switch c.Kind {
	case "containers":
		return true
	case "initContainers":
		return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	}
	return false
}

// noDefault completes a message for a namespace without LimitRange defaults.
func noDefault(ns string) string {
	if ns == "" {
		return "no LimitRange in the scan gives its namespace a default"
	}
	return "no LimitRange in the scan gives namespace \"" + ns + "\" a default"
}

// resourcesCause is the root cause the three resource checks share: one
// container's resources block, which one finding names all that is missing
// from (see check.Fold).
func resourcesCause(c inventory.Container) string { return "resources of " + c.Path.String() }

// missingLimits reports the containers that will have no limit of r.
// Ephemeral containers cannot have resources and are skipped.
func missingLimits(ctx *check.Context, inv *inventory.Inventory, r corev1.ResourceName, label string) []check.Result {
	defaults := limitRangeDefaults(ctx, inv)
	var out []check.Result
	for _, p := range inv.Pods() {
		d := defaults[p.Namespace()]
		for _, c := range p.Containers() {
			if !designed(c) || effectiveLimit(d, p, c, r) != unset {
				continue
			}
			out = append(out, check.Result{
				Object:  p.Object,
				Pod:     p,
				Path:    c.Path.Child("resources", "limits", string(r)),
				Message: fmt.Sprintf("container %q has no %s limit, and %s", c.Name, label, noDefault(p.Namespace())),
				Cause:   resourcesCause(c),
				Facet:   "no " + label + " limit",
			})
		}
	}
	return out
}
