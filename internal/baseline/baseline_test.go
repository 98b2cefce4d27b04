package baseline

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/scan"
)

func fnd(fp, file string) Finding { return Finding{Fingerprint: fp, File: file, Check: "c"} }

// One fingerprint in several files (the same object in two overlays) is
// matched one for one, the same file first.
func TestMatchCounts(t *testing.T) {
	for _, tc := range []struct {
		name         string
		old, cur     []Finding
		added, fixed int
	}{
		{"a copy in a new file is new", []Finding{fnd("x", "prod.yaml")}, []Finding{fnd("x", "dev.yaml"), fnd("x", "prod.yaml")}, 1, 0},
		{"a renamed file keeps its finding", []Finding{fnd("x", "old.yaml")}, []Finding{fnd("x", "new.yaml")}, 0, 0},
		{"one of two copies removed", []Finding{fnd("x", "a.yaml"), fnd("x", "b.yaml")}, []Finding{fnd("x", "b.yaml")}, 0, 1},
		{"different fingerprints", []Finding{fnd("x", "a.yaml")}, []Finding{fnd("y", "a.yaml")}, 1, 1},
	} {
		added, removed, pairs := Match(tc.old, tc.cur)
		if len(added) != tc.added || len(removed) != tc.fixed || len(pairs)+len(added) != len(tc.cur) {
			t.Errorf("%s: added %v, removed %v, pairs %v", tc.name, added, removed, pairs)
		}
		if tc.name == "a copy in a new file is new" && (len(added) != 1 || tc.cur[added[0]].File != "dev.yaml") {
			t.Errorf("%s: the copy in prod.yaml must keep the old finding, got new %v", tc.name, added)
		}
	}
}

// A baseline written by the JSON renderer reads back to the same
// fingerprints the run computes.
func TestReadWhatJSONWrites(t *testing.T) {
	f := check.Finding{CheckID: "pss-privileged", Severity: check.Critical, Title: "t", Message: "m",
		Object:   inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Source:   inventory.Source{File: "web.yaml", Line: 1},
		Path:     "spec.template.spec.containers[0].securityContext.privileged",
		Position: inventory.Position{Line: 12, Column: 9}}
	var b strings.Builder
	if err := report.JSON(&b, resultOf(f), report.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	want := FromFindings([]check.Finding{f})
	if len(r.Findings) != 1 || r.Findings[0] != want[0] {
		t.Errorf("read %+v, want %+v", r.Findings, want)
	}
	for _, bad := range []string{`{}`, `{"schemaVersion":"other/v9","findings":[]}`, `[1,2]`, `{"schemaVersion":"kubeward.dev/v1","findings":[{"check":"x"}]}`} {
		if _, err := Read(strings.NewReader(bad)); err == nil {
			t.Errorf("%s read as a report", bad)
		}
	}
}

func resultOf(fs ...check.Finding) *scan.Result { return &scan.Result{Findings: fs} }

// FuzzRead: any bytes read as a report or an error, never a panic, and a
// report read has a fingerprint and a check on every finding.
func FuzzRead(f *testing.F) {
	f.Add(`{"schemaVersion":"kubeward.dev/v1","findings":[{"check":"a","severity":"high","fingerprint":"00","location":{"file":"x","line":1}}]}`)
	f.Add(`{"schemaVersion":"kubeward.dev/v1","findings":null}`)
	f.Add(`{"schemaVersion":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Read(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, fd := range r.Findings {
			if fd.Fingerprint == "" || fd.Check == "" {
				t.Fatalf("finding without identity: %+v", fd)
			}
		}
	})
}
