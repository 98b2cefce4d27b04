package report

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

const sarifSchemaFile = "testdata/sarif-schema-2.1.0.json"

func TestSARIFMatchesSchema(t *testing.T) {
	s := compileSchema(t, sarifSchemaFile)
	for name, res := range map[string]*scan.Result{
		"fixture": fixture(),
		"empty":   {},
		"many":    manyFindings(500),
	} {
		if err := validate(t, s, render(t, "sarif", res, testOptions())); err != nil {
			t.Errorf("%s: SARIF output does not match the SARIF 2.1.0 schema:\n%v", name, err)
		}
	}
	// Paths relative to the current directory, without a root.
	if err := validate(t, s, render(t, "sarif", fixture(), Options{Checks: testChecks})); err != nil {
		t.Errorf("without a root: %v", err)
	}
}

// TestSARIFSchemaIsStrict proves the schema validation can fail.
func TestSARIFSchemaIsStrict(t *testing.T) {
	s := compileSchema(t, sarifSchemaFile)
	good := render(t, "sarif", fixture(), testOptions())
	for name, mutate := range map[string]func(m map[string]any){
		"bad level":          func(m map[string]any) { result0(m)["level"] = "fatal" },
		"no message":         func(m map[string]any) { delete(result0(m), "message") },
		"bad suppression":    func(m map[string]any) { result0(m)["suppressions"] = []any{map[string]any{"kind": "ignored"}} },
		"zero start line":    func(m map[string]any) { region0(m)["startLine"] = 0 },
		"wrong version":      func(m map[string]any) { m["version"] = "2.0.0" },
		"rule without an id": func(m map[string]any) { delete(rules0(m)[0].(map[string]any), "id") },
		// A misspelt property (a tag typo in sarif.go) is rejected, not ignored.
		"unknown result property": func(m map[string]any) { result0(m)["partialFingerprint"] = map[string]any{} },
	} {
		expectRejected(t, s, good, name, mutate)
	}
}

func run0(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
func result0(m map[string]any) map[string]any {
	return run0(m)["results"].([]any)[0].(map[string]any)
}
func rules0(m map[string]any) []any {
	return run0(m)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
}
func region0(m map[string]any) map[string]any {
	for _, r := range run0(m)["results"].([]any) {
		loc := r.(map[string]any)["locations"].([]any)[0].(map[string]any)
		if p, ok := loc["physicalLocation"].(map[string]any); ok && p["region"] != nil {
			return p["region"].(map[string]any)
		}
	}
	panic("no region")
}

// The parts of SARIF the tests read.
type sarifOut struct {
	Version string
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID, Name             string
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Text, Markdown string }
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any
				}
			}
		}
		OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
		Results            []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
					Region *struct{ StartLine, StartColumn int }
				}
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification string }
			Properties          map[string]any
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ExitCode                   int
			ToolExecutionNotifications []struct {
				Level   string
				Message struct{ Text string }
			}
			ToolConfigurationNotifications []struct {
				Level   string
				Message struct{ Text string }
			}
		}
	}
}

func parseSARIF(t *testing.T, data []byte) sarifOut {
	t.Helper()
	var s sarifOut
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 {
		t.Fatalf("version %q with %d runs; want 2.1.0 with one run", s.Version, len(s.Runs))
	}
	return s
}

func TestSARIFRules(t *testing.T) {
	run := parseSARIF(t, render(t, "sarif", fixture(), testOptions())).Runs[0]
	d := run.Tool.Driver
	if d.Name != "kubeward" || d.Version != "1.2.3-test" || d.InformationURI == "" {
		t.Errorf("driver %q %q %q", d.Name, d.Version, d.InformationURI)
	}
	// GitHub reads security-severity as a score: critical > 9.0, high 7.0 to
	// 8.9, medium 4.0 to 6.9, low below 4.0.
	band := map[string][2]float64{"critical": {9.0, 10}, "high": {7.0, 8.9}, "medium": {4.0, 6.9}, "low": {0.1, 3.9}, "info": {0.1, 3.9}}
	levels := map[string]string{"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
	byID := map[string]int{}
	for i, r := range d.Rules {
		byID[r.ID] = i
		if r.Name == "" || strings.ContainsAny(r.Name, " -") || r.ShortDescription.Text == "" || r.FullDescription.Text == "" ||
			r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s lacks a name, descriptions or help: %+v", r.ID, r)
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" {
			t.Errorf("rule %s: tags %v do not start with security", r.ID, tags)
		}
		sev, _ := r.Properties["severity"].(string)
		score, err := strconv.ParseFloat(r.Properties["security-severity"].(string), 64)
		if err != nil {
			t.Errorf("rule %s: security-severity: %v", r.ID, err)
		}
		if b, ok := band[sev]; ok && (score < b[0] || score > b[1]) {
			t.Errorf("rule %s: security-severity %v outside GitHub's band for %s", r.ID, score, sev)
		}
		if want, ok := levels[sev]; ok && r.DefaultConfiguration.Level != want {
			t.Errorf("rule %s (%s): level %s, want %s", r.ID, sev, r.DefaultConfiguration.Level, want)
		}
	}
	pc := d.Rules[byID["privileged-container"]]
	for _, want := range []string{"every capability", "Fix: Remove securityContext.privileged", "Pod Security Standards baseline", "5.2.2"} {
		if !strings.Contains(pc.Help.Text, want) {
			t.Errorf("help of privileged-container lacks %q:\n%s", want, pc.Help.Text)
		}
	}
	if !strings.Contains(pc.Help.Markdown, "](https://kubernetes.io/docs/concepts/security/pod-security-standards/)") {
		t.Errorf("help markdown lacks the reference link:\n%s", pc.Help.Markdown)
	}
	tags := pc.Properties["tags"].([]any)
	if tags[len(tags)-1] != "pod-security" {
		t.Errorf("privileged-container tags %v lack the category", tags)
	}
	// A check known only by its finding still gets a rule made from it.
	rb := d.Rules[byID["example-unregistered-binding"]]
	if rb.ShortDescription.Text != "Binding grants cluster-admin" || rb.DefaultConfiguration.Level != "error" {
		t.Errorf("unregistered check's rule: %+v", rb)
	}
	for _, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(d.Rules) || d.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d", r.RuleID, r.RuleIndex)
		}
	}
}

func TestSARIFResults(t *testing.T) {
	run := parseSARIF(t, render(t, "sarif", fixture(), testOptions())).Runs[0]
	if got := run.OriginalURIBaseIDs["%SRCROOT%"].URI; got != "file:///src/repo/" {
		t.Errorf("%%SRCROOT%% is %q", got)
	}
	if len(run.Results) != 8 {
		t.Fatalf("%d results; want all 8 findings, suppressed ones included", len(run.Results))
	}
	fps := map[string]bool{}
	byKey := map[string]int{}
	for i, r := range run.Results {
		byKey[r.RuleID+" "+r.Properties["object"].(string)] = i
		fp := r.PartialFingerprints["kubeward/v1"]
		if len(fp) != 32 || fps[fp] {
			t.Errorf("%s: fingerprint %q missing or repeated", r.RuleID, fp)
		}
		fps[fp] = true
		if r.Message.Text == "" || !strings.HasPrefix(r.Message.Text, r.Properties["object"].(string)+": ") {
			t.Errorf("%s: message %q does not name the object", r.RuleID, r.Message.Text)
		}
		if len(r.Locations) != 1 {
			t.Errorf("%s: %d locations", r.RuleID, len(r.Locations))
			continue
		}
		if p := r.Locations[0].PhysicalLocation; p != nil {
			uri := p.ArtifactLocation.URI
			if p.ArtifactLocation.URIBaseID != "%SRCROOT%" || strings.Contains(uri, ":") || strings.HasPrefix(uri, "/") || strings.Contains(uri, "..") {
				t.Errorf("%s: artifact %q (base %q) is not relative to the root", r.RuleID, uri, p.ArtifactLocation.URIBaseID)
			}
			if p.Region == nil || p.Region.StartLine < 1 || p.Region.StartColumn < 1 {
				t.Errorf("%s: region %+v", r.RuleID, p.Region)
			}
		}
	}
	get := func(key string) int {
		i, ok := byKey[key]
		if !ok {
			t.Fatalf("no result %s", key)
		}
		return i
	}

	helm := run.Results[get("host-network Deployment/monitoring/grafana")]
	if p := helm.Locations[0].PhysicalLocation; p == nil || p.ArtifactLocation.URI != "charts/grafana/templates/deployment.yaml" || p.Region.StartLine != 18 {
		t.Errorf("Helm result location: %+v", p)
	}
	if !strings.Contains(helm.Message.Text, "rendered template") {
		t.Errorf("Helm result does not say the line is in the rendered template: %q", helm.Message.Text)
	}

	live := run.Results[get("example-unregistered-binding ClusterRoleBinding/ci-admin")]
	if loc := live.Locations[0]; loc.PhysicalLocation != nil || len(loc.LogicalLocations) != 1 ||
		loc.LogicalLocations[0].FullyQualifiedName != "prod/ClusterRoleBinding/ci-admin" || loc.LogicalLocations[0].Kind != "resource" {
		t.Errorf("live object location: %+v", loc)
	}

	cfg := run.Results[get("host-path-volume StatefulSet/default/db")]
	if len(cfg.Suppressions) != 1 || cfg.Suppressions[0].Kind != "external" || cfg.Suppressions[0].Status != "accepted" ||
		!strings.Contains(cfg.Suppressions[0].Justification, "node exporter reads /proc") ||
		!strings.Contains(cfg.Suppressions[0].Justification, "2099-12-31") {
		t.Errorf("config-file suppression: %+v", cfg.Suppressions)
	}
	ann := run.Results[get("read-only-root-filesystem StatefulSet/default/db")]
	if len(ann.Suppressions) != 1 || ann.Suppressions[0].Kind != "inSource" {
		t.Errorf("annotation suppression: %+v", ann.Suppressions)
	}
	exp := run.Results[get("run-as-non-root Deployment/default/web")]
	if len(exp.Suppressions) != 0 || !strings.Contains(exp.Message.Text, "suppression expired on 2024-01-31") {
		t.Errorf("expired suppression: suppressions %+v, message %q", exp.Suppressions, exp.Message.Text)
	}
	if r := run.Results[get("privileged-container Deployment/default/web")]; len(r.Suppressions) != 0 || r.Level != "error" {
		t.Errorf("plain finding: %+v", r)
	}

	inv := run.Invocations
	// The fixture has input errors: the run exits 2 and SARIF says it did
	// not execute successfully.
	if len(inv) != 1 || inv[0].ExecutionSuccessful || inv[0].ExitCode != 2 {
		t.Fatalf("invocations %+v", inv)
	}
	var notes []string
	for _, n := range inv[0].ToolExecutionNotifications {
		notes = append(notes, n.Level+": "+n.Message.Text)
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{"error: mapping values are not allowed", "warning: Deployment/default/web: annotation",
		"note: 6 inputs not scanned (not a .yaml, .yml or .json file): LICENSE", "note: 1 input not scanned (binary file"} {
		if !strings.Contains(all, want) {
			t.Errorf("notifications lack %q:\n%s", want, all)
		}
	}
	c := inv[0].ToolConfigurationNotifications
	if len(c) != 3 || c[0].Level != "warning" || !strings.Contains(c[0].Message.Text, "1 check did not run (rbac-wildcard-verbs)") ||
		!strings.Contains(c[0].Message.Text, "grant: list clusterroles.rbac.authorization.k8s.io") ||
		!strings.Contains(c[1].Message.Text, "1 check had nothing to judge (apiserver-profiling)") ||
		c[2].Level != "note" || !strings.Contains(c[2].Message.Text, "accepted (--ignore-gap): we use no PodTemplates") {
		t.Errorf("coverage gap notifications: %+v", c)
	}
}

// A finding whose position is unknown has a location without a region.
func TestSARIFNoRegionWithoutLine(t *testing.T) {
	f := finding("host-network", ref("v1", "Pod", "ns", "p"), inventory.Source{File: "p.yaml"}, "spec.hostNetwork", 0, 0, "m")
	run := parseSARIF(t, render(t, "sarif", &scan.Result{Findings: []check.Finding{f}}, testOptions())).Runs[0]
	p := run.Results[0].Locations[0].PhysicalLocation
	if p == nil || p.ArtifactLocation.URI != "p.yaml" || p.Region != nil {
		t.Errorf("location %+v; want p.yaml without a region", p)
	}
}

// Identical input gives identical SARIF: fingerprints and order are stable.
func TestSARIFDeterministic(t *testing.T) {
	a := render(t, "sarif", fixture(), testOptions())
	b := render(t, "sarif", fixture(), testOptions())
	if string(a) != string(b) {
		t.Error("two renderings of the same result differ")
	}
}

func TestSARIFArtifactURIs(t *testing.T) {
	wd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	parent := filepath.ToSlash(filepath.Dir(wd))
	for _, tc := range []struct {
		root, base, file string
		uri, baseID      string
	}{
		{"", "", "deploy/web.yaml", "deploy/web.yaml", "%SRCROOT%"},
		{"", "", "./deploy/web.yaml", "deploy/web.yaml", "%SRCROOT%"},
		{"", "", "my dir/a b.yaml", "my%20dir/a%20b.yaml", "%SRCROOT%"},
		{"", "", "a:b.yaml", "./a:b.yaml", "%SRCROOT%"},
		{"", "", "../x.yaml", "file://" + parent + "/x.yaml", ""},
		{"", "", "/etc/k8s/x.yaml", "file:///etc/k8s/x.yaml", ""},
		{"/src", "/src/repo", "deploy/x.yaml", "repo/deploy/x.yaml", "%SRCROOT%"},
		{"/src/repo", "/src/repo/sub", "../deploy/x.yaml", "deploy/x.yaml", "%SRCROOT%"},
		{"/src/repo", "/src/repo", "/src/repo/deploy/x.yaml", "deploy/x.yaml", "%SRCROOT%"},
		{"/src/repo", "/src/repo", "/etc/x.yaml", "file:///etc/x.yaml", ""},
		{"/src/repo", "/src/repo", "../other/x.yaml", "file:///src/other/x.yaml", ""},
		{"..", "", "x.yaml", filepath.Base(wd) + "/x.yaml", "%SRCROOT%"},
		{"/src/repo", "/src/repo", "-", "stdin", ""},
	} {
		l, err := newLocator(Options{Root: tc.root, BaseDir: tc.base})
		if err != nil {
			t.Fatal(err)
		}
		got := l.artifact(tc.file)
		if got.URI != tc.uri || got.URIBaseID != tc.baseID {
			t.Errorf("root %q base %q file %q: got %q (base %q), want %q (base %q)",
				tc.root, tc.base, tc.file, got.URI, got.URIBaseID, tc.uri, tc.baseID)
		}
	}
}

func TestArtifactPath(t *testing.T) {
	for _, tc := range []struct {
		src  inventory.Source
		want string
	}{
		{inventory.Source{File: "deploy/web.yaml"}, "deploy/web.yaml"},
		{inventory.Source{Cluster: "prod"}, ""},
		{inventory.Source{File: "-"}, "-"},
		// Helm: "# Source: <chart name>/templates/..." under the chart's path,
		// whatever the chart directory is called.
		{inventory.Source{File: "charts/grafana", Template: "grafana/templates/deployment.yaml"}, "charts/grafana/templates/deployment.yaml"},
		{inventory.Source{File: "deploy/helm", Template: "grafana/templates/deployment.yaml"}, "deploy/helm/templates/deployment.yaml"},
		{inventory.Source{File: ".", Template: "app/templates/a/b.yaml"}, "templates/a/b.yaml"},
		{inventory.Source{File: "charts/app", Template: "app/charts/redis/templates/sts.yaml"}, "charts/app/charts/redis/templates/sts.yaml"},
		{inventory.Source{File: "charts/app", Template: "app/crds/crd.yaml"}, "charts/app/crds/crd.yaml"},
		// A chart archive has no template files to point at.
		{inventory.Source{File: "dist/app-1.0.0.tgz", Template: "app/templates/x.yaml"}, "dist/app-1.0.0.tgz"},
		// Kustomize: the origin path is relative to the overlay.
		{inventory.Source{File: "overlays/prod", Template: "../../base/deployment.yaml"}, "base/deployment.yaml"},
		{inventory.Source{File: "overlays/prod", Template: "patch.yaml"}, "overlays/prod/patch.yaml"},
		{inventory.Source{File: "overlays/prod", Template: "https://github.com/org/repo/base"}, "overlays/prod"},
		{inventory.Source{File: "overlays/prod", Template: "/abs/base.yaml"}, "overlays/prod"},
	} {
		if got := ArtifactPath(tc.src); got != tc.want {
			t.Errorf("ArtifactPath(%+v) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestSARIFOmitSuppressed(t *testing.T) {
	o := testOptions()
	o.SARIFOmitSuppressed = true
	run := parseSARIF(t, render(t, "sarif", fixture(), o)).Runs[0]
	if len(run.Results) != 6 {
		t.Errorf("%d results; want the 6 unsuppressed findings", len(run.Results))
	}
	expired := false
	for _, r := range run.Results {
		if len(r.Suppressions) > 0 {
			t.Errorf("%s: suppressed result written", r.RuleID)
		}
		expired = expired || r.RuleID == "run-as-non-root"
	}
	if !expired {
		t.Error("the finding with an expired suppression was left out")
	}
	if err := validate(t, compileSchema(t, sarifSchemaFile), render(t, "sarif", fixture(), o)); err != nil {
		t.Error(err)
	}
}

func TestSARIFCategoryAndVersion(t *testing.T) {
	o := testOptions()
	o.SARIFCategory = "kubeward/helm/"
	o.ToolVersion = "v1.4.0"
	out := render(t, "sarif", fixture(), o)
	if err := validate(t, compileSchema(t, sarifSchemaFile), out); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			AutomationDetails struct{ ID string }
			Tool              struct {
				Driver struct{ Version, SemanticVersion string }
			}
		}
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if r.AutomationDetails.ID != "kubeward/helm/" || r.Tool.Driver.Version != "v1.4.0" || r.Tool.Driver.SemanticVersion != "1.4.0" {
		t.Errorf("run: %+v", r)
	}
	for v, want := range map[string]string{"1.2.3": "1.2.3", "v0.1.0-rc.1+abc": "0.1.0-rc.1+abc", "dev": "", "1.2": "", "": ""} {
		if got := semanticVersion(v); got != want {
			t.Errorf("semanticVersion(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestSARIFMessageLinks(t *testing.T) {
	for in, want := range map[string]string{
		"containers[0] runs privileged":    "containers[0] runs privileged",
		`see [docs](https://evil.example)`: `see \[docs\](https://evil.example)`,
		`a\b [x](y)`:                       `a\\b \[x\](y)`,
	} {
		if got := sarifMessage(in).Text; got != want {
			t.Errorf("sarifMessage(%q) = %q, want %q", in, got, want)
		}
	}
}
