package workload

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultServiceAccount reports pods that act as their namespace's default
// service account: they run as it (explicitly, or by leaving
// serviceAccountName unset) and get its token.
//
// Reads: spec.serviceAccountName, spec.serviceAccount (deprecated),
// spec.automountServiceAccountToken, projected serviceAccountToken volumes;
// automountServiceAccountToken of the default ServiceAccount when the scan
// holds it.
// Allows: another service account; mirror Pods of static Pods (they run as
// no service account); the default one without a token (the
// pod says false, or says nothing and the ServiceAccount says false, and no
// projected volume asks for a token), which is what CIS 5.1.5 audits.
var DefaultServiceAccount = &check.Check{
	Meta: check.Meta{
		ID:       "default-service-account",
		Title:    "Pod uses the default service account",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Every pod of a namespace that names no service account shares the default one, so a grant " +
			"made to it for one application reaches all of them, and no grant can be audited per application. " +
			"With its token mounted, each of those pods can act as that shared identity.",
		Fix: "Create a ServiceAccount for the workload and set spec.serviceAccountName; if the workload never " +
			"calls the API, also set automountServiceAccountToken: false (on the pod, or on the default " +
			"ServiceAccount of the namespace).",
		Reads: []string{"spec.serviceAccountName", "spec.automountServiceAccountToken", "ServiceAccount default automountServiceAccountToken"},
		Peers: []check.Peer{check.KubeLinter("default-service-account")},
		Refs: []check.Reference{
			check.CIS("5.1.5", "Ensure that default service accounts are not actively used"),
			check.CIS("5.1.6", "Ensure that Service Account Tokens are only mounted where necessary"),
			check.NSA("Pod security: protecting Pod service account tokens"),
		},
	},
	Inventory:      defaultServiceAccount,
	NamespaceLocal: true,
	Needs:          append([]schema.GroupKind{inventory.KindServiceAccount}, inventory.WorkloadKinds...),
}

func init() { check.Register(DefaultServiceAccount) }

func defaultServiceAccount(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, p := range inv.Pods() {
		if p.ServiceAccountName() != "default" || isMirror(p) {
			continue
		}
		t := podToken(inv, p)
		if !t.Mounted && !t.Projected {
			continue
		}
		path := p.SpecPath.Child("serviceAccountName")
		msg := "runs as the default service account (no serviceAccountName is set) with its token mounted"
		switch {
		case p.Spec.ServiceAccountName != "":
			msg = "runs as the default service account, named explicitly, with its token mounted"
		case p.Spec.DeprecatedServiceAccount != "":
			path = p.SpecPath.Child("serviceAccount")
			msg = "runs as the default service account, named explicitly, with its token mounted"
		}
		if !t.Mounted {
			msg = "runs as the default service account and mounts its token through a projected volume"
		}
		out = append(out, check.Result{Object: p.Object, Pod: p, Path: path, Message: msg})
	}
	return out
}
