package apiversion

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Removed reports objects written in an API version that the target
// Kubernetes release (--kube-version, default the release kubeward's
// libraries were built for) no longer serves, naming the replacement.
//
// Reads: apiVersion and kind of every object; in a cluster, the apiVersion
// of the kubectl.kubernetes.io/last-applied-configuration annotation (the
// API server answers in the version asked for, so only that annotation
// tells what a deployer still applies).
// Allows: versions served at the target. The releases come from k8s.io/api's
// generated APILifecycleRemoved and APILifecycleReplacement. A version of a
// built-in group that the libraries no longer carry at all (autoscaling/v2beta2,
// PodSecurityPolicy) is reported when the target is the libraries' release or
// later; for older targets kubeward cannot tell.
var Removed = &check.Check{
	Meta: check.Meta{
		ID:       "api-version-removed",
		Title:    "Object uses an API version the target Kubernetes no longer serves",
		Severity: check.High,
		Category: check.CategoryCluster,
		Rationale: "The API server refuses objects of a removed API version: the deployment fails on the upgrade, " +
			"or, worse, a chart quietly stops managing the object and the old one keeps running unreviewed. " +
			"Controls that lived only in a removed kind (PodSecurityPolicy) are gone altogether.",
		Fix:   "Move the manifest to the replacement API version (kubectl convert, or the chart's newer version), checking the fields that changed.",
		Reads: []string{"apiVersion", "kind", "metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]"},
		Refs:  references,
		Peers: []check.Peer{check.KubeLinter("no-extensions-v1beta").Differs("kube-linter flags extensions/v1beta* only; kubeward judges every prerelease version against the target release")},
	},
	Inventory:  removed,
	MetadataOf: inputs,
	EachObject: true,
}

func init() { check.Register(Removed) }

func removed(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	v := target(ctx.Options)
	var out []check.Result
	for _, o := range inv.All() {
		st, ok := judge(o, v)
		if !ok {
			continue
		}
		var msg string
		switch {
		case st.removed != nil && !v.LessThan(st.removed):
			msg = fmt.Sprintf("%s %s is not served since Kubernetes %s (target %s); %s", st.gvk.GroupVersion(), st.gvk.Kind, st.removed, v, st.use())
		case st.unknown && !v.LessThan(known.libraryVersion()):
			msg = fmt.Sprintf("%s %s is not served by Kubernetes %s (kubeward's libraries no longer carry it: it was removed, or never existed); %s", st.gvk.GroupVersion(), st.gvk.Kind, v, st.use())
		default:
			continue
		}
		out = append(out, check.Result{Object: o, Path: apiVersionPath, Message: msg})
	}
	return out
}
