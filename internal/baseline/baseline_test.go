package baseline

import (
	"reflect"
	"sort"
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
	if len(r.Findings) != 1 || !reflect.DeepEqual(r.Findings[0], want[0]) {
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

// finding is a check's finding on container c of Deployment web in file.
func finding(id, file string) check.Finding {
	return check.Finding{CheckID: id, Severity: check.Medium, Title: "t", Message: id + " says so",
		Object:   inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Source:   inventory.Source{File: file, Line: 1},
		Path:     "spec.template.spec.containers[0].resources",
		Position: inventory.Position{Line: 20, Column: 9}}
}

// reportOf is what scan -o json writes of fs, read back as a baseline.
func reportOf(t *testing.T, fs ...check.Finding) *Report {
	t.Helper()
	var b strings.Builder
	if err := report.JSON(&b, resultOf(fs...), report.Options{}); err != nil {
		t.Fatal(err)
	}
	r, err := Read(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMatchInsideFoldedAndGrouped: a baseline written before findings were
// folded (check.Fold) or grouped (check.Group) still holds each of them,
// so none reads as fixed and none is new; a folded or grouped finding the
// baseline lacks makes the finding holding it new, in kubeward diff as in
// scan --baseline; a folded finding gone since is fixed.
func TestMatchInsideFoldedAndGrouped(t *testing.T) {
	mem, cpu, req := finding("memory-limit", "web.yaml"), finding("cpu-limit", "web.yaml"), finding("resource-requests", "web.yaml")
	memHA, cpuHA := finding("memory-limit", "ha/web.yaml"), finding("cpu-limit", "ha/web.yaml")
	folded := func(lead check.Finding, others ...check.Finding) check.Finding {
		lead.Folded = others
		return lead
	}
	grouped := folded(mem, cpu, req)
	grouped.Elsewhere = []check.Finding{folded(memHA, cpuHA)}

	for _, tc := range []struct {
		name       string
		base       *Report
		run        check.Finding
		new, fixed []string // check@file; new names the top-level finding holding what is new
	}{
		{name: "written before folding", base: reportOf(t, mem, cpu, req), run: folded(mem, cpu, req)},
		{name: "written before grouping", base: reportOf(t, folded(mem, cpu), folded(memHA, cpuHA)), run: grouped,
			new: []string{"memory-limit@web.yaml"}},
		{name: "written before both", base: reportOf(t, mem, cpu, req, memHA, cpuHA), run: grouped},
		{name: "a folded finding not in the baseline", base: reportOf(t, mem), run: folded(mem, cpu),
			new: []string{"memory-limit@web.yaml"}},
		{name: "a folded finding fixed since", base: reportOf(t, folded(mem, cpu, req)), run: folded(mem, req),
			fixed: []string{"cpu-limit@web.yaml"}},
		{name: "a place of a grouped finding new", base: reportOf(t, folded(mem, cpu, req)), run: grouped,
			new: []string{"memory-limit@web.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(tc.base, reportOf(t, tc.run))
			names := func(fs []Finding) []string {
				var out []string
				for _, f := range fs {
					out = append(out, f.Check+"@"+f.File)
				}
				sort.Strings(out)
				return out
			}
			if got := names(d.New); !reflect.DeepEqual(got, tc.new) {
				t.Errorf("diff new %q, want %q", got, tc.new)
			}
			if got := names(d.Fixed); !reflect.DeepEqual(got, tc.fixed) {
				t.Errorf("diff fixed %q, want %q", got, tc.fixed)
			}
			kept, baselined := Filter([]check.Finding{tc.run}, tc.base)
			if wantKept := len(tc.new) > 0; (len(kept) == 1) != wantKept || len(kept)+baselined != 1 {
				t.Errorf("scan --baseline kept %d, left out %d; want the finding kept: %v", len(kept), baselined, wantKept)
			}
		})
	}
}
