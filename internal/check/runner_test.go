package check_test

import (
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Checks of all three shapes, firing on every workload.
var (
	podShape = &check.Check{
		Meta: check.Meta{ID: "test-pod-shape", Title: "t", Severity: check.High, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Pod: func(_ *check.Context, p *inventory.Pod) []check.Result {
			return []check.Result{{Path: p.SpecPath, Message: "pod"}}
		},
	}
	inventoryShape = &check.Check{
		Meta:  check.Meta{ID: "test-inventory-shape", Title: "t", Severity: check.High, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Needs: inventory.WorkloadKinds,
		Inventory: func(_ *check.Context, inv *inventory.Inventory) []check.Result {
			var out []check.Result
			for _, p := range inv.Pods() {
				out = append(out, check.Result{Object: p.Object, Pod: p, Path: p.SpecPath, Message: "inventory"})
			}
			return out
		},
	}
	objectShape = &check.Check{
		Meta:  check.Meta{ID: "test-object-shape", Title: "t", Severity: check.Low, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Kinds: []schema.GroupKind{inventory.KindDeployment},
		Object: func(_ *check.Context, o *inventory.Object) []check.Result {
			return []check.Result{{Path: fieldpath.New("spec", "replicas"), Message: "object"}}
		},
	}
)

func init() { check.Register(podShape, inventoryShape, objectShape) }

const annotated = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: by-object
  annotations:
    suppress.kubeward.dev/test-object-shape: "2020-01-01: long expired"
spec:
  template:
    metadata:
      annotations:
        suppress.kubeward.dev/test-pod-shape: "the template says why"
        suppress.kubeward.dev/test-inventory-shape: "the template says why"
    spec:
      containers: [{name: a, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad-annotations
  annotations:
    suppress.kubeward.dev/test-pod-shape: ""
    suppress.kubeward.dev/no-such-check: "reason"
spec:
  template:
    spec:
      containers: [{name: a, image: x}]
`

// TestSuppressionAnnotations: a pod template's annotation suppresses pod
// and cross-object findings alike; an expired one fires again and says so;
// a suppression without a reason does not suppress and is reported.
func TestSuppressionAnnotations(t *testing.T) {
	res, _ := checktest.RunResult(t, annotated, nil, podShape, inventoryShape, objectShape)
	state := map[string]string{}
	for _, f := range res.Findings {
		s := "active"
		switch {
		case f.Suppressed():
			s = "suppressed"
		case f.Suppression != nil && f.Suppression.Expired:
			s = "expired"
		}
		state[f.Object.Name+" "+f.CheckID] = s
	}
	want := map[string]string{
		"by-object test-pod-shape":             "suppressed",
		"by-object test-inventory-shape":       "suppressed",
		"by-object test-object-shape":          "expired",
		"bad-annotations test-pod-shape":       "active",
		"bad-annotations test-inventory-shape": "active",
		"bad-annotations test-object-shape":    "active",
	}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("%s: %s, want %s", k, state[k], v)
		}
	}
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Message)
	}
	if len(msgs) != 2 {
		t.Errorf("problems = %q, want the empty reason and the unknown check", msgs)
	}
}

func TestConfigSuppressionsAndExpiry(t *testing.T) {
	sup := &check.Suppressions{
		Origin: "kubeward.yaml",
		Now:    time.Date(2021, 5, 1, 23, 59, 0, 0, time.UTC),
		Rules: []check.SuppressionRule{
			{Check: "test-*-shape", Kind: "Deployment", Name: "bad-*", Reason: "r"},
			{Check: "test-object-shape", Path: "**/fixture.yaml", Reason: "until May", Expires: "2021-05-01"},
		},
	}
	res, _ := checktest.RunSuppressed(t, annotated, nil, sup, podShape, objectShape)
	for _, f := range res.Findings {
		if f.Object.Name != "bad-annotations" {
			continue
		}
		if !f.Suppressed() || f.Suppression.Origin != "kubeward.yaml suppressions[0]" {
			t.Errorf("%s: suppression %+v", f.CheckID, f.Suppression)
		}
	}
	// The expiry date itself is still covered; the next day is not.
	sup.Rules = sup.Rules[1:]
	for _, now := range []struct {
		at      time.Time
		expired bool
	}{{time.Date(2021, 5, 1, 23, 59, 0, 0, time.UTC), false}, {time.Date(2021, 5, 2, 0, 0, 0, 0, time.UTC), true}} {
		sup.Now = now.at
		res, _ := checktest.RunSuppressed(t, annotated, nil, sup, objectShape)
		for _, f := range res.Findings {
			if f.Object.Name == "bad-annotations" && (f.Suppression == nil || f.Suppression.Expired != now.expired) {
				t.Errorf("at %s: %+v", now.at, f.Suppression)
			}
		}
	}
}

// A result a check marks undecided is not a finding: the runner keeps it
// for the coverage report until taken, and a runner reused across requests
// keeps none of it.
func TestRunnerUndecided(t *testing.T) {
	undecided := &check.Check{
		Meta:  check.Meta{ID: "test-undecided", Title: "t", Severity: check.Low, Category: check.CategoryWorkload, Rationale: "r", Fix: "f"},
		Kinds: []schema.GroupKind{inventory.KindDeployment},
		Object: func(_ *check.Context, o *inventory.Object) []check.Result {
			return []check.Result{{Path: fieldpath.New("spec"), Message: "in a file", Undecided: "some-file"},
				{Path: fieldpath.New("spec", "replicas"), Message: "a finding"}}
		},
	}
	r := check.NewRunner([]*check.Check{undecided}, check.DefaultOptions(), nil, nil)
	_, inv := checktest.RunResult(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\n", nil)
	o := inv.All()[0]
	fs := r.CheckObject(check.NewContext(check.DefaultOptions()), o)
	if len(fs) != 1 || fs[0].Message != "a finding" {
		t.Errorf("findings %+v", fs)
	}
	us := r.TakeUndecided()
	if len(us) != 1 || us[0].Gap != "some-file" || us[0].Check != "test-undecided" || us[0].Object.String() != "Deployment/ns/d" || us[0].Reason != "in a file" {
		t.Errorf("undecided %+v", us)
	}
	if again := r.TakeUndecided(); len(again) != 0 {
		t.Errorf("taken twice: %+v", again)
	}
}
