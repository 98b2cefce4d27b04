package check_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/inventory"
)

// TestFingerprintRecipe pins the fingerprint of a finding the corpus gave
// before findings were folded and grouped: suppressions, baselines and
// code-scanning alerts match on it, so the recipe must never change.
func TestFingerprintRecipe(t *testing.T) {
	f := check.Finding{
		CheckID: "rbac-secrets-read",
		Object:  inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "argocd-notifications-controller-cluster-apps"},
		Source:  inventory.Source{File: "anywhere.yaml", Line: 7},
		Path:    "rules[1]",
		Message: "whatever the message says",
	}
	const want = "165f6d4457ae80e0fcde2a02246994d7"
	if got := f.Fingerprint(); got != want {
		t.Errorf("fingerprint = %s, want %s: the recipe changed", got, want)
	}
	f.Object.APIVersion = "rbac.authorization.k8s.io/v1beta1" // the version is not part of it
	f.Position = inventory.Position{Line: 99, Column: 3}
	if got := f.Fingerprint(); got != want {
		t.Errorf("fingerprint after an apiVersion and position change = %s, want %s", got, want)
	}
}

// An OpenShift DeploymentConfig written in the legacy "apiVersion: v1"
// is apps.openshift.io's (inventory.GroupKindOf): moving it to
// apps.openshift.io/v1 is an apiVersion upgrade, which keeps its
// findings' fingerprints (suppressions, baselines, SARIF alerts).
func TestFingerprintLegacyDeploymentConfig(t *testing.T) {
	f := check.Finding{
		CheckID: "privileged",
		Object:  inventory.Ref{APIVersion: "v1", Kind: "DeploymentConfig", Namespace: "shop", Name: "web"},
		Path:    "spec.template.spec.containers[0].securityContext.privileged",
	}
	legacy := f.Fingerprint()
	f.Object.APIVersion = "apps.openshift.io/v1"
	if got := f.Fingerprint(); got != legacy {
		t.Errorf("apps.openshift.io/v1 fingerprint %s, legacy v1 %s", got, legacy)
	}
}

// Three checks about one container's "knob": two peers and one that leads.
func knobCheck(id string, sev check.Severity, leads bool, facet string) *check.Check {
	return &check.Check{
		Meta: check.Meta{ID: id, Title: "t", Severity: sev, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Pod: func(_ *check.Context, p *inventory.Pod) []check.Result {
			var out []check.Result
			for _, c := range p.Containers() {
				out = append(out, check.Result{Path: c.Path.Child("knob", id), Message: id + " on " + c.Name,
					Cause: "knob " + c.Path.String(), Facet: facet, Leads: leads})
			}
			return out
		},
	}
}

var (
	knobLow    = knobCheck("test-knob-low", check.Low, false, "low facet")
	knobMedium = knobCheck("test-knob-medium", check.Medium, false, "medium facet")
	knobLead   = knobCheck("test-knob-lead", check.Low, true, "")
	// knobTwice reports two fields of one cause: both stay findings.
	knobTwice = &check.Check{
		Meta: check.Meta{ID: "test-knob-twice", Title: "t", Severity: check.High, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Pod: func(_ *check.Context, p *inventory.Pod) []check.Result {
			c := p.Containers()[0]
			return []check.Result{
				{Path: c.Path.Child("a"), Message: "a", Cause: "knob " + c.Path.String(), Leads: true},
				{Path: c.Path.Child("b"), Message: "b", Cause: "knob " + c.Path.String(), Leads: true},
			}
		},
	}
)

func init() { check.Register(knobLow, knobMedium, knobLead, knobTwice) }

const twoContainers = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: a, image: x}, {name: b, image: y}]
`

func fingerprints(fs []check.Finding) []string {
	var out []string
	for i := range fs {
		out = append(out, fs[i].Fingerprint())
		for j := range fs[i].Folded {
			out = append(out, fs[i].Folded[j].Fingerprint())
		}
	}
	sort.Strings(out)
	return out
}

func TestFoldOneFindingPerCause(t *testing.T) {
	alone := append(checktest.Run(t, twoContainers, nil, knobLow), checktest.Run(t, twoContainers, nil, knobMedium)...)
	fs := checktest.Run(t, twoContainers, nil, knobLow, knobMedium)
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want one per container: %v", len(fs), checktest.Describe(fs))
	}
	for _, f := range fs {
		if f.CheckID != "test-knob-medium" || f.Severity != check.Medium || len(f.Folded) != 1 || f.Folded[0].CheckID != "test-knob-low" {
			t.Errorf("the most severe should speak for the cause: %s %s folded %d", f.CheckID, f.Severity, len(f.Folded))
		}
		if !strings.HasSuffix(f.Message, "; also low facet (test-knob-low)") {
			t.Errorf("message %q does not name what the folded check says", f.Message)
		}
	}
	if got, want := fingerprints(fs), fingerprints(alone); !slices.Equal(got, want) {
		t.Errorf("folding changed fingerprints:\n got %v\nwant %v", got, want)
	}
}

func TestFoldLeaderAndSeverity(t *testing.T) {
	fs := checktest.Run(t, twoContainers, nil, knobMedium, knobLead)
	for _, f := range fs {
		if f.CheckID != "test-knob-lead" {
			t.Fatalf("the leading check should speak for the cause, got %s", f.CheckID)
		}
		if f.Severity != check.Medium {
			t.Errorf("severity %s, want the highest of the folded (medium)", f.Severity)
		}
		if !strings.Contains(f.Message, "medium facet (test-knob-medium)") {
			t.Errorf("message %q", f.Message)
		}
	}
}

func TestFoldKeepsFindingsOfTheLeadingCheck(t *testing.T) {
	fs := checktest.Run(t, twoContainers, nil, knobTwice, knobLow)
	got := checktest.Describe(fs)
	want := []string{
		"Deployment/web spec.template.spec.containers[0].a",
		"Deployment/web spec.template.spec.containers[0].b",
		"Deployment/web spec.template.spec.containers[1].knob.test-knob-low",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
}

// A suppressed finding never hides an open one: they are judged apart.
func TestFoldKeepsSuppressedApart(t *testing.T) {
	yaml := strings.Replace(twoContainers, "metadata: {name: web, namespace: shop}",
		"metadata: {name: web, namespace: shop, annotations: {suppress.kubeward.dev/test-knob-medium: accepted}}", 1)
	fs := checktest.Run(t, yaml, nil, knobLow, knobMedium)
	open, suppressed := 0, 0
	for _, f := range fs {
		if len(f.Folded) > 0 {
			t.Errorf("%s folded %d findings across a suppression", f.CheckID, len(f.Folded))
		}
		if f.Suppressed() {
			suppressed++
		} else {
			open++
		}
	}
	if open != 2 || suppressed != 2 {
		t.Errorf("open %d, suppressed %d; want 2 and 2", open, suppressed)
	}
}

func TestGroupSameFingerprintAcrossFiles(t *testing.T) {
	at := func(file string, sev check.Severity) check.Finding {
		return check.Finding{CheckID: "c", Severity: sev, Object: inventory.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "n", Name: "p"},
			Source: inventory.Source{File: file}, Path: "spec.x", Message: "m"}
	}
	suppressed := at("d.yaml", check.High)
	suppressed.Suppression = &check.SuppressionStatus{Reason: "r", Origin: "o"}
	fs := []check.Finding{at("a.yaml", check.High), at("b.yaml", check.High), at("c.yaml", check.Low), suppressed, at("e.yaml", check.High)}
	fs[4].Object.Namespace = "other" // another object
	got := check.Group(fs)
	if len(got) != 4 {
		t.Fatalf("got %d findings, want 4 (a+b, c at another severity, d suppressed, e another object)", len(got))
	}
	if len(got[0].Elsewhere) != 1 || got[0].Elsewhere[0].Source.File != "b.yaml" || got[0].Places() != 2 {
		t.Errorf("a.yaml should hold b.yaml's copy: %+v", got[0].Elsewhere)
	}
	for _, f := range got[1:] {
		if len(f.Elsewhere) != 0 {
			t.Errorf("%s grouped with %d others", f.Source.File, len(f.Elsewhere))
		}
	}
	if got[0].Fingerprint() != fs[1].Fingerprint() {
		t.Error("the group's fingerprint is not the places' own")
	}
}
