package policyreport

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func finding(name, path string, sup *check.SuppressionStatus) check.Finding {
	return check.Finding{CheckID: "pss-privileged", Title: "Privileged container", Severity: check.Critical, Category: check.CategoryPodSecurity,
		Object: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: name}, Path: path,
		Message: "container app is privileged", Suppression: sup}
}

func TestResultOf(t *testing.T) {
	since := time.Unix(1700000000, 0)
	tests := []struct {
		name     string
		f        check.Finding
		result   string
		props    map[string]string
		severity string
	}{
		{"failing", finding("web", "spec.template.spec.containers[0].securityContext.privileged", nil), "fail",
			map[string]string{"title": "Privileged container", "path": "spec.template.spec.containers[0].securityContext.privileged"}, "critical"},
		{"suppressed: kept, skipped, with its reason", finding("web", "", &check.SuppressionStatus{Reason: "device plugin", Origin: "annotation"}), "skip",
			map[string]string{"title": "Privileged container", "suppressed": "device plugin", "suppressionOrigin": "annotation"}, "critical"},
		{"expired suppression: fails again, says so", finding("web", "", &check.SuppressionStatus{Reason: "device plugin", Origin: "annotation", Expires: "2020-01-01", Expired: true}), "fail",
			map[string]string{"title": "Privileged container", "suppressed": "device plugin", "suppressionOrigin": "annotation", "suppressionExpires": "2020-01-01"}, "critical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ResultOf(&tt.f, "uid-1", since)
			if string(r.Result) != tt.result || string(r.Severity) != tt.severity || r.Policy != "pss-privileged" || r.Category != "pod-security" || r.Source != Source {
				t.Errorf("result %s severity %s policy %s category %s source %s", r.Result, r.Severity, r.Policy, r.Category, r.Source)
			}
			if r.Timestamp.Seconds != since.Unix() {
				t.Errorf("timestamp %d, want %d", r.Timestamp.Seconds, since.Unix())
			}
			if len(r.Subjects) != 1 || r.Subjects[0].Name != "web" || r.Subjects[0].Kind != "Deployment" || r.Subjects[0].UID != "uid-1" || r.Subjects[0].Namespace != "shop" {
				t.Errorf("subjects %+v", r.Subjects)
			}
			if len(r.Properties) != len(tt.props) {
				t.Errorf("properties %v, want %v", r.Properties, tt.props)
			}
			for k, v := range tt.props {
				if r.Properties[k] != v {
					t.Errorf("property %s = %q, want %q", k, r.Properties[k], v)
				}
			}
		})
	}
}

func TestCoverageResult(t *testing.T) {
	for _, tt := range []struct {
		status scan.Status
		result string
	}{{scan.NotRun, "error"}, {scan.Partial, "error"}, {scan.NothingToJudge, "skip"}} {
		r := CoverageResult(scan.CheckCoverage{Check: "rbac-wildcard", Status: tt.status, Reason: "why"}, time.Now())
		if string(r.Result) != tt.result || r.Properties["coverage"] != string(tt.status) || r.Description != "why" {
			t.Errorf("%s: %+v", tt.status, r)
		}
	}
}

// TestBuildSplitsBetweenObjects: a namespace whose results pass MaxBytes
// gets several reports, each under the bound, cut between objects (one
// object's results are never split), named kubeward, kubeward-2...
func TestBuildSplitsBetweenObjects(t *testing.T) {
	var results []reportsv1alpha1.ReportResult
	long := strings.Repeat("x", 2000)
	for i := range 1500 {
		for _, path := range []string{"a", "b"} {
			f := finding(fmt.Sprintf("w%05d", i), path, nil)
			f.Message = long
			results = append(results, ResultOf(&f, "", time.Now()))
		}
	}
	SortResults(results)
	reports, err := Build(OpenReports, "shop", results)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) < 3 {
		t.Fatalf("%d reports for ~6 MB of results", len(reports))
	}
	total := 0
	seen := map[string]string{}
	for i, r := range reports {
		want := Name
		if i > 0 {
			want = fmt.Sprintf("%s-%d", Name, i+1)
		}
		if r.Object.GetName() != want || r.Object.GetNamespace() != "shop" || r.Object.GetKind() != "Report" {
			t.Errorf("report %d: %s %s/%s", i, r.Object.GetKind(), r.Object.GetNamespace(), r.Object.GetName())
		}
		b, _ := json.Marshal(r.Object.Object)
		if len(b) > MaxBytes+64<<10 {
			t.Errorf("report %d is %d bytes", i, len(b))
		}
		rs, _, _ := unstructured.NestedSlice(r.Object.Object, "results")
		total += len(rs)
		for _, x := range rs {
			name := x.(map[string]any)["resources"].([]any)[0].(map[string]any)["name"].(string)
			if prev, ok := seen[name]; ok && prev != want {
				t.Errorf("the results of %s are split between %s and %s", name, prev, want)
			}
			seen[name] = want
		}
		if fail, _, _ := unstructured.NestedInt64(r.Object.Object, "summary", "fail"); fail != int64(len(rs)) {
			t.Errorf("report %d: summary fail %d for %d results", i, fail, len(rs))
		}
	}
	if total != len(results) {
		t.Errorf("%d results written of %d", total, len(results))
	}
}

// TestNormalizeRoundTrip: a report read back as the API server returns
// it (JSON) has the hash it was written with, so a new leader rewrites
// nothing it finds; the wgpolicy flavor has no report-level source.
func TestNormalizeRoundTrip(t *testing.T) {
	for _, f := range []Flavor{OpenReports, WGPolicy} {
		fd := finding("web", "spec.x", &check.SuppressionStatus{Reason: "r", Origin: "o"})
		r, err := Object(f, "shop", Name, Meta{}, []reportsv1alpha1.ReportResult{ResultOf(&fd, "u", time.Unix(5, 0))})
		if err != nil {
			t.Fatal(err)
		}
		u := roundTrip(t, r.Object)
		back, results, err := Normalize(f, u)
		if err != nil {
			t.Fatal(err)
		}
		if back.Hash != r.Hash || len(results) != 1 {
			t.Errorf("%s: hash %s after the round trip, %s written", f.Name, back.Hash, r.Hash)
		}
		_, hasSource := r.Object.Object["source"]
		if hasSource != f.ReportSource {
			t.Errorf("%s: report-level source present: %v", f.Name, hasSource)
		}
		if u.GetAPIVersion() != f.GroupVersion.String() {
			t.Errorf("%s: apiVersion %s", f.Name, u.GetAPIVersion())
		}
	}
}
