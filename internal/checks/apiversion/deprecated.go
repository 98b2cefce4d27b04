package apiversion

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Deprecated reports objects written in an API version that the target
// Kubernetes release (--kube-version) has deprecated but still serves,
// with the release that removes it and the replacement.
//
// Reads: apiVersion and kind of every object; in a cluster, the apiVersion
// of the kubectl.kubernetes.io/last-applied-configuration annotation.
// Allows: GA versions and prerelease versions not yet deprecated at the
// target. The releases come from k8s.io/api's generated
// APILifecycleDeprecated, APILifecycleRemoved and APILifecycleReplacement.
var Deprecated = &check.Check{
	Meta: check.Meta{
		ID:       "api-version-deprecated",
		Title:    "Object uses a deprecated API version",
		Severity: check.Low,
		Category: check.CategoryCluster,
		Rationale: "A deprecated API version is served until a known release, then refused: manifests and charts " +
			"that still use it break that upgrade. Moving early, while both versions are served, is a change " +
			"that can be tested and rolled back.",
		Fix:   "Move the manifest to the replacement API version before the release that removes it.",
		Reads: []string{"apiVersion", "kind", "metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]"},
		Refs:  references,
	},
	Inventory:  deprecated,
	MetadataOf: inputs,
	EachObject: true,
}

func init() { check.Register(Deprecated) }

func deprecated(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	v := target(ctx.Options)
	var out []check.Result
	for _, o := range inv.All() {
		st, ok := judge(o, v)
		if !ok || st.deprecated == nil || v.LessThan(st.deprecated) || !v.LessThan(st.removed) {
			continue
		}
		out = append(out, check.Result{Object: o, Path: apiVersionPath,
			Message: fmt.Sprintf("%s %s is deprecated since Kubernetes %s and removed in %s (target %s); %s", st.gvk.GroupVersion(), st.gvk.Kind, st.deprecated, st.removed, v, st.use())})
	}
	return out
}
