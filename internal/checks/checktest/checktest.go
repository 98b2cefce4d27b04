// Package checktest runs checks on YAML fixtures for table tests: the same
// decoder, runner and positions as a real scan.
package checktest

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// Run decodes the YAML stream and runs the checks with the options (nil
// means defaults). Input problems at error level fail the test: a fixture
// must say what it means.
func Run(t testing.TB, yaml string, opts *check.Options, checks ...*check.Check) []check.Finding {
	t.Helper()
	res, _ := RunResult(t, yaml, opts, checks...)
	return res.Findings
}

// RunResult is Run that also returns the result and the inventory.
func RunResult(t testing.TB, yaml string, opts *check.Options, checks ...*check.Check) (*scan.Result, *inventory.Inventory) {
	t.Helper()
	return RunSuppressed(t, yaml, opts, nil, checks...)
}

// RunSuppressed is RunResult with config-file suppressions.
func RunSuppressed(t testing.TB, yaml string, opts *check.Options, sup *check.Suppressions, checks ...*check.Check) (*scan.Result, *inventory.Inventory) {
	t.Helper()
	return run(t, yaml, false, opts, sup, nil, checks)
}

// RunImages is Run with image facts attached to the inventory, as a scan
// with registry access attaches them, for the checks that read them.
func RunImages(t testing.TB, yaml string, opts *check.Options, images *facts.Set, checks ...*check.Check) []check.Finding {
	t.Helper()
	return RunImagesResult(t, yaml, opts, images, checks...).Findings
}

// RunImagesResult is RunImages giving the whole result: its coverage too.
func RunImagesResult(t testing.TB, yaml string, opts *check.Options, images *facts.Set, checks ...*check.Check) *scan.Result {
	t.Helper()
	res, _ := run(t, yaml, false, opts, nil, images, checks)
	return res
}

// RunCluster is Run over objects marked as read from a live cluster, whose
// inventory is complete: for checks that judge some things only there.
func RunCluster(t testing.TB, yaml string, opts *check.Options, checks ...*check.Check) []check.Finding {
	t.Helper()
	res, _ := run(t, yaml, true, opts, nil, nil, checks)
	return res.Findings
}

func run(t testing.TB, yaml string, cluster bool, opts *check.Options, sup *check.Suppressions, images *facts.Set, checks []*check.Check) (*scan.Result, *inventory.Inventory) {
	t.Helper()
	so := scan.Options{Checks: checks, CheckOptions: opts, Suppressions: sup}
	if images != nil {
		so.Images = func(*inventory.Inventory) *facts.Set { return images }
	}
	e := scan.New(so)
	dec := &manifest.Decoder{Reads: e.Runner.ReadsContent, Log: e.Log}
	inv := inventory.NewInventory()
	var findings []check.Finding
	dec.Decode(manifest.Input{Name: "fixture.yaml", Data: []byte(yaml)}, func(o *inventory.Object) {
		if cluster {
			o.Source = inventory.Source{Cluster: "test"}
		}
		findings = append(findings, e.Runner.CheckObject(e.Ctx, o)...)
		inv.Add(o)
	})
	inv.Sort()
	res := e.Finish(inv, findings)
	for _, p := range res.Problems {
		if p.Level == "error" {
			t.Fatalf("fixture problem: %s", p)
		}
	}
	return res, inv
}

// Describe renders findings as "Kind/name path" lines, sorted, for
// comparing with a table test's expectations.
func Describe(fs []check.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		s := f.Object.Kind + "/" + f.Object.Name
		if f.Path != "" {
			s += " " + f.Path
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Expect compares Describe(findings) with want and reports differences.
func Expect(t testing.TB, fs []check.Finding, want ...string) {
	t.Helper()
	got := Describe(fs)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
		for _, f := range fs {
			t.Logf("  %s:%d:%d %s %s", f.Source.File, f.Position.Line, f.Position.Column, f.CheckID, f.Message)
		}
	}
}

// Fixture is one row of a check's table test: a YAML stream and the
// findings it must give as Describe lines ("Kind/name path"), none for a
// fixture that must pass.
type Fixture struct {
	Name string
	YAML string
	Want []string
	// Cluster runs the fixture as RunCluster does, as objects read from a
	// live cluster.
	Cluster bool
	// Images are the image facts the registries gave, for image checks.
	Images *facts.Set
}

// RunFixtures runs one check over each fixture, in a subtest, with the
// options (nil means defaults), and compares the findings with Want. The
// table must hold a fixture that fires and one that must pass: a check
// tested one way only could be a constant.
func RunFixtures(t *testing.T, c *check.Check, opts *check.Options, fixtures []Fixture) {
	t.Helper()
	fires, passes := false, false
	for _, tt := range fixtures {
		fires = fires || len(tt.Want) > 0
		passes = passes || len(tt.Want) == 0
		t.Run(tt.Name, func(t *testing.T) {
			t.Helper()
			var fs []check.Finding
			switch {
			case tt.Images != nil:
				fs = RunImages(t, tt.YAML, opts, tt.Images, c)
			case tt.Cluster:
				fs = RunCluster(t, tt.YAML, opts, c)
			default:
				fs = Run(t, tt.YAML, opts, c)
			}
			Expect(t, fs, tt.Want...)
		})
	}
	if !fires || !passes {
		t.Errorf("%s: the table needs a fixture that fires and one that must pass (fires: %v, passes: %v)", c.ID, fires, passes)
	}
}

// Corpus runs checks over the real-world corpus (../shared/corpus): it must
// yield objects, no check may fail on any object, and the counts per check
// are logged (go test -run Corpus -v). KUBEWARD_CORPUS_OUT names a file to
// receive every finding, one per line, for reading false positives.
func Corpus(t testing.TB, opts *check.Options, checks ...*check.Check) *scan.Result {
	t.Helper()
	res, _, err := scan.New(scan.Options{Checks: checks, CheckOptions: opts}).Files(loader.Default(), []string{sharedtest.Dir(t, "corpus")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects == 0 {
		t.Fatal("no objects decoded from the corpus: the test would check nothing")
	}
	for _, p := range res.Problems {
		if strings.HasPrefix(p.Message, "check ") {
			t.Errorf("%s", p)
		}
	}
	counts := map[string]int{}
	lines := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		counts[f.CheckID+" "+f.Severity.String()]++
		lines = append(lines, fmt.Sprintf("%s\t%s\t%s:%d\t%s\t%s\t%s", f.CheckID, f.Severity, f.Source.File, f.Position.Line, f.Object, f.Path, f.Message))
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%6d %s", counts[k], k)
	}
	t.Logf("%d objects, %d findings", res.Objects, len(res.Findings))
	if out := os.Getenv("KUBEWARD_CORPUS_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return res
}
