package mesh

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// meshMember says why a namespace is in the Istio mesh, "" when it is not:
// sidecar injection (istio-injection: enabled, or a revision label) or
// ambient mode.
func meshMember(o *inventory.Object) string {
	l := o.Meta.Labels
	switch {
	case l["istio-injection"] == "enabled":
		return "istio-injection: enabled"
	case l["istio.io/rev"] != "" && l["istio-injection"] != "disabled":
		return "istio.io/rev: " + l["istio.io/rev"]
	case l["istio.io/dataplane-mode"] == "ambient":
		return "istio.io/dataplane-mode: ambient"
	}
	return ""
}

// NamespaceWithoutPolicy reports namespaces in the Istio mesh to which no
// PeerAuthentication and no AuthorizationPolicy applies.
//
// Reads: the labels of Namespaces (istio-injection, istio.io/rev,
// istio.io/dataplane-mode); the namespaces and selectors of
// PeerAuthentications and AuthorizationPolicies.
// Allows: namespaces with a PeerAuthentication or AuthorizationPolicy of
// their own, or covered by one in the root namespace (istio-system) without
// a selector. Namespaces are judged where the scan holds their Namespace
// object.
var NamespaceWithoutPolicy = &check.Check{
	Meta: check.Meta{
		ID:       "mesh-namespace-without-policy",
		Title:    "Meshed namespace has no Istio security policy",
		Severity: check.Medium,
		Category: check.CategoryMesh,
		Rationale: "Istio's defaults are permissive: without a PeerAuthentication, sidecars accept plaintext from any " +
			"pod, and without an AuthorizationPolicy every workload of the mesh may call every other. Joining the " +
			"mesh then encrypts some traffic but authenticates and authorizes nothing.",
		Fix: "Add a mesh-wide PeerAuthentication with mtls.mode STRICT in istio-system, and an AuthorizationPolicy " +
			"per namespace that allows only the callers each workload needs (an ALLOW policy without rules denies the rest).",
		Reads: []string{"Namespace metadata.labels", "PeerAuthentication metadata.namespace, spec.selector", "AuthorizationPolicy metadata.namespace, spec.selector"},
		Refs:  references,
	},
	Inventory:  namespaceWithoutPolicy,
	Needs:      []schema.GroupKind{kindPeerAuthentication, kindAuthorizationPolicy},
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

func init() { check.Register(NamespaceWithoutPolicy) }

func namespaceWithoutPolicy(_ *check.Context, inv *inventory.Inventory) []check.Result {
	covered := map[string]bool{}
	meshWide := false
	for _, gk := range []schema.GroupKind{kindPeerAuthentication, kindAuthorizationPolicy} {
		for _, o := range inv.ByKind(gk) {
			covered[o.Namespace] = true
			if o.Namespace == rootNamespace && !selects(o) {
				meshWide = true
			}
		}
	}
	if meshWide {
		return nil
	}
	var out []check.Result
	for _, ns := range inv.ByKind(inventory.KindNamespace) {
		why := meshMember(ns)
		if why == "" || covered[ns.Name] {
			continue
		}
		out = append(out, check.Result{Object: ns, Path: fieldpath.New("metadata", "labels"),
			Message: fmt.Sprintf("namespace %s is in the mesh (%s) but no PeerAuthentication or AuthorizationPolicy applies to it: Istio's defaults accept plaintext and allow every caller", ns.Name, why)})
	}
	return out
}

// selects reports whether a PeerAuthentication or AuthorizationPolicy
// applies to some workloads only.
func selects(o *inventory.Object) bool {
	var p authorizationPolicy // selector and targetRefs are read the same way from both kinds
	return o.DecodeRaw(&p) == nil && p.targeted()
}
