package policyreport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// judged is cis-1.12 with each control given a status (manual where the
// framework has no check; failed for every other with allFail), failed
// ones failing on objects objects each, in namespace ns.
func judged(t *testing.T, allFail bool, ns string, objects int, name func(i int) string) *framework.Result {
	t.Helper()
	fw, err := framework.Get("cis-1.12")
	if err != nil {
		t.Fatal(err)
	}
	r := &framework.Result{Framework: fw, Counts: map[framework.Status]int{}}
	decided := []framework.Status{framework.Failed, framework.Passed, framework.NotChecked, framework.NotApplicable}
	for i, c := range fw.Controls {
		cr := framework.ControlResult{Control: c, Status: framework.Manual}
		switch {
		case len(c.Checks) > 0 && allFail:
			cr.Status = framework.Failed
		case len(c.Checks) > 0:
			cr.Status = decided[i%len(decided)]
		}
		switch cr.Status {
		case framework.Failed:
			for j := range objects {
				ref := inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name(j)}
				cr.Refs = append(cr.Refs, ref)
				cr.Objects = append(cr.Objects, ref.String())
			}
			cr.Findings = 2 * objects
		case framework.NotChecked:
			cr.Reason = c.Checks[0] + ": the identity may not list pods"
		}
		r.Counts[cr.Status]++
		r.Controls = append(r.Controls, cr)
	}
	r.Score = float64(r.Counts[framework.Passed]) * 100 / float64(r.Counts[framework.Passed]+r.Counts[framework.Failed]+r.Counts[framework.NotChecked])
	return r
}

// uidOf gives each object a UID of the length the API server's have.
func uidOf(r inventory.Ref) types.UID {
	return types.UID(fmt.Sprintf("%-36.36s", "uid-"+r.Name))
}

// TestFrameworkResults: a result per control, in the framework's order,
// policy the framework and rule the control; each status maps to the
// result Policy Reporter reads, kubeward's status kept; only the first
// MaxSubjects failing objects are named, all are counted.
func TestFrameworkResults(t *testing.T) {
	r := judged(t, false, "shop", MaxSubjects+5, func(i int) string { return fmt.Sprintf("web-%02d", i) })
	since := time.Unix(1700000000, 0)
	results := FrameworkResults(r, uidOf, since)
	if len(results) != len(r.Framework.Controls) {
		t.Fatalf("%d results for %d controls", len(results), len(r.Framework.Controls))
	}
	want := map[framework.Status]struct {
		result string
		scored bool
		prefix string
	}{
		framework.Passed:        {"pass", true, "its checks ran"},
		framework.Failed:        {"fail", true, fmt.Sprintf("%d findings on %d objects (the first %d named)", 2*(MaxSubjects+5), MaxSubjects+5, MaxSubjects)},
		framework.NotChecked:    {"error", true, "not checked: "},
		framework.NotApplicable: {"skip", false, "not applicable: "},
		framework.Manual:        {"skip", false, "manual: "},
	}
	seen := map[framework.Status]bool{}
	for i, x := range results {
		c := r.Controls[i]
		w := want[c.Status]
		seen[c.Status] = true
		if x.Policy != "cis-1.12" || x.Rule != c.ID || x.Source != Source || x.Category != c.Section || x.Timestamp.Seconds != since.Unix() {
			t.Errorf("%s: policy %q rule %q source %q category %q", c.ID, x.Policy, x.Rule, x.Source, x.Category)
		}
		if string(x.Result) != w.result || x.Scored != w.scored || !strings.HasPrefix(x.Description, w.prefix) {
			t.Errorf("%s (%s): result %s scored %v message %q", c.ID, c.Status, x.Result, x.Scored, x.Description)
		}
		if x.Properties["status"] != string(c.Status) || x.Properties["title"] != c.Title {
			t.Errorf("%s: properties %v", c.ID, x.Properties)
		}
		if (x.Severity == "") != (c.Status == framework.Manual) {
			t.Errorf("%s (%s): severity %q", c.ID, c.Status, x.Severity)
		}
		if c.Status != framework.Failed {
			if len(x.Subjects) > 0 {
				t.Errorf("%s (%s): resources %v", c.ID, c.Status, x.Subjects)
			}
			continue
		}
		if len(x.Subjects) != MaxSubjects || x.Properties["failingObjects"] != fmt.Sprint(MaxSubjects+5) || x.Properties["findings"] != fmt.Sprint(2*(MaxSubjects+5)) {
			t.Errorf("%s: %d resources, properties %v", c.ID, len(x.Subjects), x.Properties)
		}
		if s := x.Subjects[0]; s.APIVersion != "apps/v1" || s.Kind != "Deployment" || s.Namespace != "shop" || s.Name != "web-00" || s.UID != uidOf(inventory.Ref{Name: "web-00"}) {
			t.Errorf("%s: first resource %+v", c.ID, s)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("statuses judged %v: the test misses some", seen)
	}
	// The not-checked result says why.
	for i, x := range results {
		if r.Controls[i].Status == framework.NotChecked && !strings.Contains(x.Description, "may not list pods") {
			t.Errorf("%s: %q", x.Rule, x.Description)
		}
	}
}

// TestBuildFramework: the framework's reports are cluster reports named
// after it, labelled with it and annotated with its score and counts; the
// summary of each counts its results; a worst case (every control failing
// on objects of the longest names) is split under MaxBytes between
// controls; and a report read back has the hash it was written with.
func TestBuildFramework(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allFail bool
		ns      string
		objects int
		object  func(int) string
		reports int
	}{
		{"typical", false, "shop", 3, func(i int) string { return fmt.Sprintf("web-%d", i) }, 1},
		{"every control failing on objects of the longest names", true, strings.Repeat("n", 63), 1000, func(i int) string { return fmt.Sprintf("%0253d", i) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := judged(t, tc.allFail, tc.ns, tc.objects, tc.object)
			results := FrameworkResults(r, uidOf, time.Unix(5, 0))
			for _, f := range []Flavor{OpenReports, WGPolicy} {
				reports, err := BuildFramework(f, r, results)
				if err != nil {
					t.Fatal(err)
				}
				if len(reports) != tc.reports {
					t.Errorf("%s: %d reports, want %d", f.Name, len(reports), tc.reports)
				}
				var sum reportsv1alpha1.ReportSummary
				total := 0
				for i, rep := range reports {
					u := rep.Object
					name := "kubeward-framework-cis-1.12"
					if i > 0 {
						name = fmt.Sprintf("%s-%d", name, i+1)
					}
					if u.GetName() != name || u.GetNamespace() != "" || u.GetKind() != f.ClusterKind {
						t.Errorf("report %d: %s %s", i, u.GetKind(), u.GetName())
					}
					if u.GetLabels()[FrameworkLabel] != "cis-1.12" || u.GetLabels()["app.kubernetes.io/managed-by"] != "kubeward" {
						t.Errorf("report %d: labels %v", i, u.GetLabels())
					}
					wantScore := fmt.Sprintf("%.1f", r.Score)
					if a := u.GetAnnotations(); a[ScoreAnnotation] != wantScore || !strings.Contains(a[ControlsAnnotation], fmt.Sprintf("failed=%d", r.Counts[framework.Failed])) {
						t.Errorf("report %d: annotations %v, score %s", i, a, wantScore)
					}
					rs, _, _ := unstructured.NestedSlice(u.Object, "results")
					b, _ := json.Marshal(rs)
					if len(b) > MaxBytes+len(rs) {
						t.Errorf("report %d: %d bytes of results", i, len(b))
					}
					total += len(rs)
					t.Logf("%s: %s: %d results, %d bytes", f.Name, u.GetName(), len(rs), len(b))
					var rep2 reportsv1alpha1.Report
					read := roundTrip(t, u)
					read.SetLabels(map[string]string{"team": "someone else's", FrameworkLabel: "cis-1.12", "app.kubernetes.io/managed-by": "kubeward", "app.kubernetes.io/name": "kubeward"})
					back, _, err := Normalize(f, read)
					if err != nil || back.Hash != rep.Hash {
						t.Errorf("report %d: read back with hash %s, written %s (%v)", i, back.Hash, rep.Hash, err)
					}
					m, _, _ := unstructured.NestedMap(u.Object, "summary")
					b, _ = json.Marshal(m)
					if err := json.Unmarshal(b, &rep2.Summary); err != nil {
						t.Fatal(err)
					}
					sum.Pass += rep2.Summary.Pass
					sum.Fail += rep2.Summary.Fail
					sum.Error += rep2.Summary.Error
					sum.Skip += rep2.Summary.Skip
				}
				if total != len(results) {
					t.Errorf("%d results written of %d", total, len(results))
				}
				c := r.Counts
				if sum.Pass != c[framework.Passed] || sum.Fail != c[framework.Failed] || sum.Error != c[framework.NotChecked] ||
					sum.Skip != c[framework.NotApplicable]+c[framework.Manual] {
					t.Errorf("summaries %+v for counts %v", sum, c)
				}
			}
		})
	}
}

// roundTrip is a report as the API server returns it.
func roundTrip(t *testing.T, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	b, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	var back unstructured.Unstructured
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	back.SetResourceVersion("42")
	back.SetUID("x")
	return &back
}
