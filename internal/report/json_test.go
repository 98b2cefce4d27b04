package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	reportSchemaFile = "../../docs/kubeward-report.schema.json"
	reportSchemaDoc  = "../../docs/json-schema.md"
)

// compileSchema loads a JSON schema file with format assertions on.
func compileSchema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file:///schemas/" + strings.ReplaceAll(file, "/", "_")
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return s
}

func validate(t testing.TB, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return s.Validate(inst)
}

func TestJSONMatchesSchema(t *testing.T) {
	s := compileSchema(t, reportSchemaFile)
	noGate := testOptions()
	noGate.FailOn = check.SeverityUnknown
	for name, tc := range map[string]struct {
		res *scan.Result
		o   Options
	}{
		"fixture":         {fixture(), testOptions()},
		"fixture no gate": {fixture(), noGate},
		"empty":           {&scan.Result{}, Options{}},
		"many":            {manyFindings(500), testOptions()},
		"frameworks":      {fixture(), withFrameworks(t, fixture())},
	} {
		if err := validate(t, s, render(t, "json", tc.res, tc.o)); err != nil {
			t.Errorf("%s: JSON output does not match the schema:\n%v", name, err)
		}
	}
}

// TestJSONSchemaIsStrict proves the validation above can fail: a field the
// schema does not list, a missing required field and a wrong type are all
// rejected.
func TestJSONSchemaIsStrict(t *testing.T) {
	s := compileSchema(t, reportSchemaFile)
	good := render(t, "json", fixture(), testOptions())
	for name, mutate := range map[string]func(m map[string]any){
		"unknown top-level field": func(m map[string]any) { m["extra"] = 1 },
		"unknown finding field":   func(m map[string]any) { finding0(m)["value"] = "s3cr3t" },
		"missing fingerprint":     func(m map[string]any) { delete(finding0(m), "fingerprint") },
		"severity of wrong type":  func(m map[string]any) { finding0(m)["severity"] = 3 },
		"unknown severity":        func(m map[string]any) { finding0(m)["severity"] = "severe" },
		"suppressed without why":  func(m map[string]any) { finding0(m)["suppressed"] = true; delete(finding0(m), "suppression") },
		"zero line":               func(m map[string]any) { finding0(m)["location"].(map[string]any)["line"] = 0 },
		"wrong schema version":    func(m map[string]any) { m["schemaVersion"] = "kubeward.dev/v2" },
	} {
		expectRejected(t, s, good, name, mutate)
	}
}

// expectRejected checks that the schema rejects good after mutate.
func expectRejected(t *testing.T, s *jsonschema.Schema, good []byte, name string, mutate func(map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	mutate(m)
	bad, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(t, s, bad); err == nil {
		t.Errorf("%s: the schema accepted an invalid document", name)
	}
}

// finding0 returns the first finding with a location (the fixture's first
// is a live object without one).
func finding0(m map[string]any) map[string]any {
	for _, f := range m["findings"].([]any) {
		if f := f.(map[string]any); f["location"] != nil {
			return f
		}
	}
	panic("no finding with a location")
}

// schemaFields lists the dotted paths of every property in the schema, with
// [] for array items: findings[].object.kind. Local references
// (#/$defs/x) are followed the first time they are met, breadth first: a
// definition used in several places (a finding's object, the object of its
// other places, its folded findings) is described once, at its shallowest
// use, and the other uses are fields of their own.
func schemaFields(schema map[string]any) map[string]bool {
	defs, _ := schema["$defs"].(map[string]any)
	out := map[string]bool{}
	seen := map[string]bool{}
	type item struct {
		node   map[string]any
		prefix string
	}
	queue := []item{{schema, ""}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		node := it.node
		if ref, ok := node["$ref"].(string); ok {
			name, local := strings.CutPrefix(ref, "#/$defs/")
			def, _ := defs[name].(map[string]any)
			if !local || def == nil || seen[name] {
				continue
			}
			seen[name] = true
			node = def
		}
		if items, ok := node["items"].(map[string]any); ok {
			queue = append(queue, item{items, it.prefix + "[]"})
		}
		props, _ := node["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := name
			if it.prefix != "" {
				p = it.prefix + "." + name
			}
			out[p] = true
			if m, ok := props[name].(map[string]any); ok {
				queue = append(queue, item{m, p})
			}
		}
	}
	return out
}

// TestJSONSchemaDocumented checks that docs/json-schema.md describes every
// field of the schema in its tables, and no field the schema lacks.
func TestJSONSchemaDocumented(t *testing.T) {
	raw, err := os.ReadFile(reportSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	inSchema := schemaFields(schema)
	// The nested "suppression" of the if/then clause is not a field of its own.
	doc, err := os.ReadFile(reportSchemaDoc)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	inDoc := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		inDoc[m[1]] = true
	}
	var missing, extra []string
	for f := range inSchema {
		if !inDoc[f] {
			missing = append(missing, f)
		}
	}
	for f := range inDoc {
		if !inSchema[f] {
			extra = append(extra, f)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("fields of the schema not described in %s: %v", reportSchemaDoc, missing)
	}
	if len(extra) > 0 {
		t.Errorf("fields described in %s but not in the schema: %v", reportSchemaDoc, extra)
	}
	if len(inSchema) < 60 {
		t.Errorf("found only %d fields in the schema; the walk is broken", len(inSchema))
	}
}

// TestJSONSchemaExample validates the example of docs/json-schema.md.
func TestJSONSchemaExample(t *testing.T) {
	doc, err := os.ReadFile(reportSchemaDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no JSON example in the schema document")
	}
	if err := validate(t, compileSchema(t, reportSchemaFile), []byte(example)); err != nil {
		t.Errorf("the documented example does not match the schema: %v", err)
	}
}

func TestJSONSuppressedAndSummary(t *testing.T) {
	var r struct {
		Summary struct {
			Findings            int
			Suppressed          int
			ExpiredSuppressions int
			CoverageGaps        int
			Coverage            struct{ NotRun, Partial, NothingToJudge, Gaps, AcceptedGaps int }
			Gate                struct {
				FailOn   string
				Failed   bool
				Findings int
			}
		}
		Findings []struct {
			Check       string
			Suppressed  bool
			Suppression *struct {
				Expired bool
				Origin  string
			}
			Object struct{ Ref string }
		}
		Skipped  []struct{ Path, Reason string }
		Problems []struct{ Level, Message string }
		Coverage []struct{ Check, Reason, Status string }
		Gaps     []struct {
			ID       string
			Accepted *struct{ Reason, Origin string }
		}
	}
	if err := json.Unmarshal(render(t, "json", fixture(), testOptions()), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 8 {
		t.Fatalf("got %d findings, want all 8 of the fixture, suppressed ones included", len(r.Findings))
	}
	suppressed, expired := 0, 0
	for _, f := range r.Findings {
		if f.Suppressed {
			suppressed++
			if f.Suppression == nil || f.Suppression.Expired {
				t.Errorf("%s on %s: suppressed without a live suppression: %+v", f.Check, f.Object.Ref, f.Suppression)
			}
		}
		if f.Suppression != nil && f.Suppression.Expired {
			expired++
			if f.Suppressed {
				t.Errorf("%s: an expired suppression still suppresses", f.Check)
			}
		}
	}
	if suppressed != 2 || expired != 1 {
		t.Errorf("suppressed %d, expired %d; want 2 and 1", suppressed, expired)
	}
	s := r.Summary
	if s.Findings != 6 || s.Suppressed != 2 || s.ExpiredSuppressions != 1 {
		t.Errorf("summary %+v; want 6 findings, 2 suppressed, 1 expired", s)
	}
	// Gate at high: the two criticals and the high host-network; the
	// suppressed high host-path-volume does not count.
	if s.Gate.FailOn != "high" || !s.Gate.Failed || s.Gate.Findings != 3 {
		t.Errorf("gate %+v; want failed with 3 findings at or above high", s.Gate)
	}
	if len(r.Skipped) != 7 || len(r.Problems) != 3 {
		t.Errorf("skipped %d, problems %d; want 7 and 3", len(r.Skipped), len(r.Problems))
	}
	// Coverage: one entry per check an open gap affects, with the status
	// that says most; the accepted gap is listed but affects no entry.
	var cov []string
	for _, c := range r.Coverage {
		cov = append(cov, c.Check+" "+c.Status)
	}
	if got := strings.Join(cov, ", "); got != "apiserver-profiling nothing-to-judge, host-network partial, rbac-wildcard-verbs not-run" {
		t.Errorf("coverage %s", got)
	}
	if len(r.Gaps) != 3 || r.Gaps[2].ID != "podtemplates" || r.Gaps[2].Accepted == nil || r.Gaps[0].Accepted != nil {
		t.Errorf("gaps %+v", r.Gaps)
	}
	if c := s.Coverage; c.NotRun != 1 || c.Partial != 1 || c.NothingToJudge != 1 || c.Gaps != 2 || c.AcceptedGaps != 1 || s.CoverageGaps != 3 {
		t.Errorf("summary coverage %+v, coverageGaps %d", c, s.CoverageGaps)
	}
}

func TestFingerprint(t *testing.T) {
	res := fixture()
	seen := map[string]string{}
	for i := range res.Findings {
		f := &res.Findings[i]
		fp := f.Fingerprint()
		if other, dup := seen[fp]; dup {
			t.Errorf("%s and %s share fingerprint %s", other, f.CheckID+" "+f.Object.String(), fp)
		}
		seen[fp] = f.CheckID + " " + f.Object.String()
	}
	f := res.Findings[len(res.Findings)-1]
	base := f.Fingerprint()
	moved := f
	moved.Source.File, moved.Position.Line, moved.Object.APIVersion = "elsewhere/x.yaml", 999, "apps/v1beta2"
	if moved.Fingerprint() != base {
		t.Error("the fingerprint changed when the file, line or API version changed")
	}
	for name, change := range map[string]func(*check.Finding){
		"check":     func(f *check.Finding) { f.CheckID = "other" },
		"path":      func(f *check.Finding) { f.Path += ".x" },
		"name":      func(f *check.Finding) { f.Object.Name += "x" },
		"namespace": func(f *check.Finding) { f.Object.Namespace = "other" },
		"kind":      func(f *check.Finding) { f.Object.Kind = "StatefulSet" },
		"group":     func(f *check.Finding) { f.Object.APIVersion = "extensions/v1beta1" },
		"cluster":   func(f *check.Finding) { f.Source.Cluster = "prod" },
	} {
		g := f
		change(&g)
		if g.Fingerprint() == base {
			t.Errorf("the fingerprint did not change with the %s", name)
		}
	}
	// Fields are separated: ("ab", "c") and ("a", "bc") differ.
	a, b := f, f
	a.Object.Namespace, a.Object.Name = "ab", "c"
	b.Object.Namespace, b.Object.Name = "a", "bc"
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("fingerprint fields run into each other")
	}
}

// withFrameworks adds every framework's result over res to the options.
func withFrameworks(t *testing.T, res *scan.Result) Options {
	t.Helper()
	o := testOptions()
	fws, err := framework.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, fw := range fws {
		o.Frameworks = append(o.Frameworks, framework.Evaluate(fw, res))
	}
	return o
}
