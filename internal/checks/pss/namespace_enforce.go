package pss

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/pod-security-admission/api"
)

var inventoryLabels = fieldpath.New("metadata", "labels")

// NamespaceEnforce requires every namespace to choose a Pod Security level,
// so Pod Security admission rejects pods that break it.
//
// Reads: metadata.labels[pod-security.kubernetes.io/enforce] of Namespace
// objects. Allows: privileged, baseline or restricted. The system namespaces
// of the run (kube-system by default) are not checked: cluster components
// live there and the label is managed with the cluster.
var NamespaceEnforce = &check.Check{
	Meta: check.Meta{
		ID:       "namespace-pod-security-enforce",
		Title:    "Namespace does not enforce a Pod Security level",
		Severity: check.Medium,
		Category: check.CategoryPodSecurity,
		Rationale: "Without the pod-security.kubernetes.io/enforce label, Pod Security admission lets any pod " +
			"into the namespace unless a cluster-wide default is configured, so a privileged pod is only caught by scanners.",
		Fix: "Label the namespace, for example pod-security.kubernetes.io/enforce: restricted (or baseline), " +
			"and pin pod-security.kubernetes.io/enforce-version to the cluster's minor version.",
		Reads: []string{"metadata.labels[pod-security.kubernetes.io/enforce]"},
		Refs: []check.Reference{check.PSS("all", "Pod Security Admission labels"),
			check.CIS("5.2.1", "Ensure that the cluster has at least one active policy control mechanism in place"),
			check.NSA("Pod security: pod security enforcement")},
	},
	Kinds:  []schema.GroupKind{inventory.KindNamespace},
	Object: namespaceEnforce,
}

func init() { check.Register(NamespaceEnforce) }

func namespaceEnforce(ctx *check.Context, o *inventory.Object) []check.Result {
	if ctx.Options.IsSystemNamespace(o.Name) {
		return nil
	}
	path := inventoryLabels.Key(api.EnforceLevelLabel)
	v, ok := o.Meta.Labels[api.EnforceLevelLabel]
	if !ok {
		return []check.Result{{Path: path, Message: fmt.Sprintf("namespace %q has no %s label", o.Name, api.EnforceLevelLabel)}}
	}
	if _, err := api.ParseLevel(v); err != nil {
		return []check.Result{{Path: path, Severity: check.High,
			Message: fmt.Sprintf("namespace %q sets %s to %q, which is not privileged, baseline or restricted", o.Name, api.EnforceLevelLabel, v)}}
	}
	return nil
}
