package report

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

// groupedResult is what the scan makes of one privileged container found
// in three files (an install bundle, its HA copy, a vendored chart's copy)
// whose read-only-root-filesystem finding is folded into the privileged
// one, and of a vendored chart's own finding.
func groupedResult() *scan.Result {
	web := ref("apps/v1", "Deployment", "shop", "web")
	c0 := "spec.template.spec.containers[0]"
	at := func(file string) []check.Finding {
		src := inventory.Source{File: file, Line: 1}
		priv := finding("privileged-container", web, src, c0+".securityContext.privileged", 24, 23, `container "app" runs privileged`)
		ro := finding("read-only-root-filesystem", web, src, c0+".securityContext.readOnlyRootFilesystem", 23, 11, `container "app" can write to its root filesystem`)
		return []check.Finding{priv, ro}
	}
	var fs []check.Finding
	for _, file := range []string{"deploy/install.yaml", "deploy/ha/install.yaml", "deploy/old/install.yaml"} {
		fs = append(fs, at(file)...)
	}
	vendored := finding("host-network", ref("apps/v1", "DaemonSet", "kube-system", "agent"),
		inventory.Source{File: "chart/charts/agent/templates/ds.yaml", Line: 1}, "spec.template.spec.hostNetwork", 18, 7, "pod shares the host's network namespace")
	vendored.Vendored = true
	fs = append(fs, vendored)
	// The runner marks the causes; here the test folds by hand what Fold
	// would, then groups as the scan does.
	var folded []check.Finding
	for i := 0; i < 6; i += 2 {
		lead := fs[i]
		lead.Folded = []check.Finding{fs[i+1]}
		lead.Message += "; also can write to its root filesystem (read-only-root-filesystem)"
		folded = append(folded, lead)
	}
	folded = append(folded, vendored)
	check.SortFindings(folded)
	return &scan.Result{Findings: check.Group(folded), Objects: 4,
		Checks: []string{"host-network", "privileged-container", "read-only-root-filesystem"}}
}

func TestGroupedFindingsInEveryFormat(t *testing.T) {
	res := groupedResult()
	if len(res.Findings) != 2 {
		t.Fatalf("grouping gave %d findings, want 2", len(res.Findings))
	}
	o := testOptions()

	sum := Summarize(res, o)
	if sum.Findings != 1 || sum.Gate.Count != 1 || sum.Elsewhere != 2 || sum.Folded != 1 || sum.Vendored != 1 {
		t.Errorf("summary %+v: want the grouped finding counted once, its 2 other places, 1 folded and 1 vendored apart", sum)
	}

	table := string(render(t, "table", res, o))
	for _, want := range []string{
		"also in 2 other places: deploy/ha/install.yaml:24:23, deploy/old/install.yaml:24:23",
		"Vendored code: 1 finding outside the gate (--gate-vendored counts them)",
		"Counted once: 2 more places of findings found in several files; 1 finding of other checks folded",
		"1 finding in vendored code, listed apart and not gated.",
		"Gate --fail-on high: FAILED (1 finding at or above high)",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Index(table, "Vendored code") < strings.Index(table, "privileged-container") {
		t.Error("the vendored section should follow the owned findings")
	}

	raw := render(t, "json", res, o)
	if err := validate(t, compileSchema(t, reportSchemaFile), raw); err != nil {
		t.Fatalf("JSON does not match the schema: %v", err)
	}
	var doc struct {
		Findings []struct {
			Check, Fingerprint string
			Vendored           bool
			Elsewhere          []struct{ Source struct{ File string } }
			Folded             []struct{ Check, Fingerprint string }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	g := doc.Findings[1]
	if g.Check != "privileged-container" || len(g.Elsewhere) != 2 || g.Elsewhere[1].Source.File != "deploy/old/install.yaml" {
		t.Errorf("JSON should keep each place: %+v", g)
	}
	ro := res.Findings[1].Folded[0]
	if len(g.Folded) != 1 || g.Folded[0].Check != "read-only-root-filesystem" || g.Folded[0].Fingerprint != ro.Fingerprint() {
		t.Errorf("JSON folded %+v, want read-only-root-filesystem with its own fingerprint", g.Folded)
	}
	if !doc.Findings[0].Vendored {
		t.Error("JSON does not mark the vendored finding")
	}

	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID           string
				Level            string
				RelatedLocations []struct {
					ID               int
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				}
				Properties struct {
					Vendored bool
					Folded   []struct{ Check, Fingerprint string }
				}
			}
		}
	}
	if err := json.Unmarshal(render(t, "sarif", res, o), &sarif); err != nil {
		t.Fatal(err)
	}
	rs := sarif.Runs[0].Results
	if len(rs) != 2 {
		t.Fatalf("SARIF has %d results, want 2", len(rs))
	}
	if rs[0].Level != "note" || !rs[0].Properties.Vendored {
		t.Errorf("vendored SARIF result: level %s, vendored %v; want a note", rs[0].Level, rs[0].Properties.Vendored)
	}
	rel := rs[1].RelatedLocations
	if len(rel) != 3 || rel[0].ID != 1 || rel[0].PhysicalLocation.ArtifactLocation.URI != "deploy/ha/install.yaml" {
		t.Errorf("SARIF related locations %+v: want both other places and the folded field", rel)
	}
	if len(rs[1].Properties.Folded) != 1 || rs[1].Properties.Folded[0].Fingerprint != ro.Fingerprint() {
		t.Errorf("SARIF folded %+v", rs[1].Properties.Folded)
	}

	var junit junitSuites
	if err := xml.Unmarshal(render(t, "junit", res, o), &junit); err != nil {
		t.Fatal(err)
	}
	failures := 0
	for _, s := range junit.Suites {
		failures += s.Failures
		for _, c := range s.Cases {
			if s.Name == "privileged-container" && (c.Failure == nil || !strings.Contains(c.Failure.Text, "also in 2 other places")) {
				t.Errorf("JUnit case %+v should fail once and name the other places", c)
			}
			if s.Name == "host-network" && (c.Failure != nil || !strings.Contains(c.SystemOut, "vendored")) {
				t.Errorf("JUnit vendored case %+v should pass, saying why", c)
			}
		}
	}
	if failures != 1 {
		t.Errorf("JUnit has %d failures, want 1", failures)
	}

	page := string(render(t, "html", res, o))
	for _, want := range []string{`"a":"also in 2 other places: deploy/ha/install.yaml:24:23, deploy/old/install.yaml:24:23"`, `"v":true`} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML data lacks %s", want)
		}
	}
}

func TestGateVendored(t *testing.T) {
	res := groupedResult()
	res.Findings = res.Findings[:1] // the vendored finding alone
	o := testOptions()
	if s := Summarize(res, o); s.Gate.Failed || s.Findings != 0 || s.Vendored != 1 {
		t.Errorf("vendored finding counted by default: %+v", s)
	}
	o.GateVendored = true
	if s := Summarize(res, o); !s.Gate.Failed || s.Findings != 1 || s.Vendored != 0 {
		t.Errorf("--gate-vendored should count it: %+v", s)
	}
	if table := string(render(t, "table", res, o)); strings.Contains(table, "Vendored code") {
		t.Error("with --gate-vendored the vendored finding is listed with the others")
	}
}
