package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// TestHelmLocations renders a real chart (whose name differs from its
// directory, with a subchart and a CRD) through the Helm renderer and the
// registered checks, and checks that every finding points at a template file
// that exists, in every format.
func TestHelmLocations(t *testing.T) {
	l, err := loader.New(loader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := scan.New(scan.Options{Checks: check.All()}).Files(l, []string{filepath.Join("testdata", "chart-dir")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %s", p)
	}
	files := map[string]bool{}
	for i := range res.Findings {
		f := &res.Findings[i]
		file := ArtifactPath(f.Source)
		if info, err := os.Stat(filepath.FromSlash(file)); err != nil || !info.Mode().IsRegular() {
			t.Errorf("%s on %s: location %q (file %q, template %q) is not a file", f.CheckID, f.Object, file, f.Source.File, f.Source.Template)
		}
		files[file] = true
	}
	for _, want := range []string{"testdata/chart-dir/templates/deployment.yaml", "testdata/chart-dir/charts/cache/templates/pod.yaml"} {
		if !files[want] {
			t.Errorf("no finding located in %s; got %v", want, files)
		}
	}
	o := Options{Checks: check.All()}
	run := parseSARIF(t, render(t, "sarif", res, o)).Runs[0]
	for _, r := range run.Results {
		uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if !files[uri] {
			t.Errorf("SARIF result %s at %q, not one of the template files", r.RuleID, uri)
		}
	}
	table := string(render(t, "table", res, o))
	if !strings.Contains(table, "testdata/chart-dir/templates/deployment.yaml:") {
		t.Errorf("table does not point at the template:\n%s", table)
	}
}

func corpusDir(tb testing.TB) string { return sharedtest.Dir(tb, "corpus") }

// TestCorpusReports renders a scan of the real-world corpus with every
// registered check in each format and holds the output to the same rules as
// the fixture: JSON and SARIF valid against their schemas, JUnit well-formed
// with consistent counts, the table free of raw control characters. Set
// KUBEWARD_REPORT_OUT to a directory to keep the four reports to read.
func TestCorpusReports(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus scan skipped in -short mode")
	}
	l, err := loader.New(loader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := scan.New(scan.Options{Checks: check.All()}).Files(l, []string{corpusDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) == 0 {
		t.Fatal("no findings on the corpus")
	}
	o := Options{Checks: check.All(), FailOn: check.High, ToolVersion: "corpus-test"}
	out := map[string][]byte{}
	for _, format := range Formats() {
		start := time.Now()
		out[format] = render(t, format, res, o)
		t.Logf("%-5s %8d bytes in %v", format, len(out[format]), time.Since(start).Round(time.Millisecond))
	}
	t.Logf("%d objects, %d findings, %d problems, %d skipped", res.Objects, len(res.Findings), len(res.Problems), len(res.Skipped))

	if err := validate(t, compileSchema(t, reportSchemaFile), out["json"]); err != nil {
		t.Errorf("JSON of the corpus does not match the schema: %v", err)
	}
	if err := validate(t, compileSchema(t, sarifSchemaFile), out["sarif"]); err != nil {
		t.Errorf("SARIF of the corpus does not match the SARIF schema: %v", err)
	}
	j := parseJUnit(t, out["junit"])
	if j.Tests == 0 {
		t.Error("JUnit of the corpus has no tests")
	}
	for _, r := range string(out["table"]) {
		if r != '\n' && unsafeRune(r) {
			t.Fatalf("raw control character %U in the table", r)
		}
	}
	var rep struct{ Findings []json.RawMessage }
	if err := json.Unmarshal(out["json"], &rep); err != nil || len(rep.Findings) != len(res.Findings) {
		t.Errorf("JSON holds %d of %d findings (%v)", len(rep.Findings), len(res.Findings), err)
	}
	if dir := os.Getenv("KUBEWARD_REPORT_OUT"); dir != "" {
		for format, b := range out {
			if err := os.WriteFile(filepath.Join(dir, "corpus."+format), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if bytes.Contains(out["sarif"], []byte(`"uri": "/`)) {
		t.Error("SARIF holds an absolute path without a file scheme")
	}
}
