package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testChecks describe the checks of the fixture. They are not registered:
// the report must take rule text from Options.Checks. The fixture also has a
// finding of a check that is neither here nor registered.
var testChecks = []*check.Check{
	{Meta: check.Meta{ID: "privileged-container", Title: "Container runs privileged", Severity: check.Critical,
		Category:  check.CategoryPodSecurity,
		Rationale: "A privileged container has every capability of the host and can take it over.",
		Fix:       "Remove securityContext.privileged or set it to false.",
		Refs: []check.Reference{check.PSS("baseline", "Privileged Containers"),
			check.CIS("5.2.2", "Minimize the admission of privileged containers")}}},
	{Meta: check.Meta{ID: "read-only-root-filesystem", Title: "Container root filesystem is writable", Severity: check.Low,
		Category:  check.CategoryWorkload,
		Rationale: "A writable root filesystem lets an attacker install tools and persist.",
		Fix:       "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application writes.",
		Refs:      []check.Reference{check.NSA("Pod security: immutable container file systems")}}},
	{Meta: check.Meta{ID: "run-as-non-root", Title: "Container may run as root", Severity: check.Medium,
		Category: check.CategoryPodSecurity, Rationale: "A process running as root inside a container is one kernel bug away from root on the node.",
		Fix: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser."}},
	{Meta: check.Meta{ID: "host-path-volume", Title: "Pod mounts a host path", Severity: check.High,
		Category: check.CategoryPodSecurity, Rationale: "A hostPath volume exposes the node's filesystem to the pod.",
		Fix: "Use a persistent volume or an emptyDir instead of hostPath."}},
	{Meta: check.Meta{ID: "host-network", Title: "Pod shares the host network", Severity: check.High,
		Category: check.CategoryPodSecurity, Rationale: "A pod on the host network can reach every service bound to the node.",
		Fix: "Remove hostNetwork: true."}},
	{Meta: check.Meta{ID: "image-tag-latest", Title: "Image uses the latest tag", Severity: check.Info,
		Category: check.CategoryImage, Rationale: "A moving tag makes deployments unrepeatable.",
		Fix: "Pin the image by digest or a versioned tag."}},
	{Meta: check.Meta{ID: "seccomp-profile", Title: "No seccomp profile", Severity: check.Medium,
		Category: check.CategoryPodSecurity, Rationale: "Without seccomp every system call is allowed.",
		Fix: "Set securityContext.seccompProfile.type: RuntimeDefault."}},
}

func ref(apiVersion, kind, ns, name string) inventory.Ref {
	return inventory.Ref{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name}
}

func meta(id string) check.Meta {
	for _, c := range testChecks {
		if c.ID == id {
			return c.Meta
		}
	}
	panic("no test check " + id)
}

// finding builds a finding as the runner does, from a test check.
func finding(id string, obj inventory.Ref, src inventory.Source, path string, line, col int, msg string) check.Finding {
	m := meta(id)
	return check.Finding{CheckID: id, Title: m.Title, Severity: m.Severity, Category: m.Category, Object: obj,
		Source: src, Path: path, Position: inventory.Position{Line: line, Column: col}, Message: msg, Fix: m.Fix}
}

// fixture is a result with findings of every severity, a suppressed one
// from an annotation and one from the config file, an expired suppression,
// a Helm-rendered object, a live cluster object, a check that is not
// registered, input problems, skipped inputs and a coverage gap.
func fixture() *scan.Result {
	web := ref("apps/v1", "Deployment", "default", "web")
	webSrc := inventory.Source{File: "deploy/web.yaml", Line: 1}
	db := ref("apps/v1", "StatefulSet", "default", "db")
	dbSrc := inventory.Source{File: "deploy/db.yaml", Document: 1, Line: 40}
	grafana := ref("apps/v1", "Deployment", "monitoring", "grafana")
	helmSrc := inventory.Source{File: "charts/grafana", Document: 3, Line: 1, Template: "grafana/templates/deployment.yaml"}
	c0 := "spec.template.spec.containers[0]"

	fs := []check.Finding{
		finding("privileged-container", web, webSrc, c0+".securityContext.privileged", 24, 23,
			`container "app" runs privileged`),
		finding("read-only-root-filesystem", web, webSrc, c0+".securityContext.readOnlyRootFilesystem", 23, 11,
			`container "app" can write to its root filesystem`),
		finding("run-as-non-root", web, webSrc, c0+".securityContext.runAsNonRoot", 23, 11,
			`container "app" may run as root`),
		finding("image-tag-latest", web, webSrc, c0+".image", 20, 16, `container "app" uses image nginx:latest`),
		finding("host-path-volume", db, dbSrc, "spec.template.spec.volumes[1].hostPath", 71, 13,
			`volume "proc" mounts /proc from the node`),
		finding("read-only-root-filesystem", db, dbSrc, c0+".securityContext.readOnlyRootFilesystem", 60, 11,
			`container "postgres" can write to its root filesystem`),
		finding("host-network", grafana, helmSrc, "spec.template.spec.hostNetwork", 18, 7,
			"pod shares the host's network namespace"),
	}
	// An expired suppression fires again; the runner says so in the message.
	fs[2].Suppression = &check.SuppressionStatus{Reason: "legacy image runs as root", Expires: "2024-01-31",
		Origin: "annotation suppress.kubeward.dev/run-as-non-root", Expired: true}
	fs[2].Message += " (suppression expired on 2024-01-31: legacy image runs as root)"
	fs[4].Suppression = &check.SuppressionStatus{Reason: "node exporter reads /proc", Expires: "2099-12-31",
		Origin: "kubeward.yaml suppressions[0]"}
	fs[5].Suppression = &check.SuppressionStatus{Reason: "postgres needs a writable data directory",
		Origin: "annotation suppress.kubeward.dev/read-only-root-filesystem"}
	// A live object with no file, from a check the report knows only by its findings.
	fs = append(fs, check.Finding{CheckID: "example-unregistered-binding", Title: "Binding grants cluster-admin",
		Severity: check.Critical, Category: check.CategoryRBAC,
		Object: ref("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "ci-admin"),
		Source: inventory.Source{Cluster: "prod", ResourceVersion: "48213"},
		Path:   "roleRef", Message: `binds cluster-admin to ServiceAccount ci/deployer`,
		Fix: "Bind a role that grants only what the subject needs."})
	check.SortFindings(fs)
	return &scan.Result{
		Findings: fs,
		Problems: []diag.Problem{
			{Level: diag.Error, File: "charts/broken", Message: "helm: template: broken/templates/cm.yaml:3: unexpected \"}\" in operand"},
			{Level: diag.Error, File: "deploy/broken.yaml", Line: 3, Column: 5, Message: "mapping values are not allowed in this context"},
			{Level: diag.Warning, File: "deploy/web.yaml", Line: 1, Object: "Deployment/default/web",
				Message: "annotation suppress.kubeward.dev/no-such-check names no known check"},
		},
		Skipped: []diag.Skipped{
			{Path: "LICENSE", Reason: "not a .yaml, .yml or .json file"},
			{Path: "Makefile", Reason: "not a .yaml, .yml or .json file"},
			{Path: "README.md", Reason: "not a .yaml, .yml or .json file"},
			{Path: "deploy/notes.txt", Reason: "not a .yaml, .yml or .json file"},
			{Path: "docs/logo.png", Reason: "binary file, not YAML or JSON"},
			{Path: "hack/lint.sh", Reason: "not a .yaml, .yml or .json file"},
			{Path: "hack/release.sh", Reason: "not a .yaml, .yml or .json file"},
		},
		Objects: 12,
		Checks: []string{"host-network", "host-path-volume", "image-tag-latest", "privileged-container",
			"example-unregistered-binding", "read-only-root-filesystem", "run-as-non-root", "seccomp-profile"},
		Coverage: []scan.Gap{
			{ID: "clusterroles.rbac.authorization.k8s.io", Reason: "forbidden to list cluster-wide", NotRun: []string{"rbac-wildcard-verbs"},
				Partial: []string{"host-network"}, Objects: []string{},
				Grant: &scan.Grant{APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles", Verbs: []string{"list"}}},
			{ID: "control-plane", Reason: "control plane not visible from the API", NothingToJudge: []string{"apiserver-profiling"}},
			{ID: "podtemplates", Reason: "forbidden to list cluster-wide", Partial: []string{"host-network", "run-as-non-root"},
				Accepted: &scan.Accepted{Reason: "we use no PodTemplates", Origin: "--ignore-gap"}},
		},
	}
}

func testOptions() Options {
	return Options{Root: "/src/repo", BaseDir: "/src/repo", ToolVersion: "1.2.3-test", FailOn: check.High, Checks: testChecks}
}

func render(t testing.TB, format string, res *scan.Result, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(format, &b, res, o); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; review the diff and rerun with -update:\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + a + "\n  got:  " + c + "\n")
			shown++
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	res := fixture()
	o := testOptions()
	golden(t, "table.txt", render(t, "table", res, o))
	golden(t, "report.json", render(t, "json", res, o))
	golden(t, "report.sarif", render(t, "sarif", res, o))
	golden(t, "report.junit.xml", render(t, "junit", res, o))

	o.ShowSuppressed = true
	o.Color = true
	golden(t, "table-suppressed-color.txt", render(t, "table", res, o))

	empty := &scan.Result{Objects: 3, Checks: []string{"privileged-container"}}
	o = testOptions()
	o.FailOn = check.SeverityUnknown
	golden(t, "table-empty.txt", render(t, "table", empty, o))
}

func TestWriteAndParseOutput(t *testing.T) {
	for _, f := range Formats() {
		if len(render(t, f, fixture(), testOptions())) == 0 {
			t.Errorf("%s: empty output", f)
		}
		var b bytes.Buffer
		if err := Write(f, &b, nil, testOptions()); err == nil {
			t.Errorf("%s: no error for a nil result", f)
		}
	}
	if err := Write("xml", &bytes.Buffer{}, fixture(), testOptions()); err == nil || !strings.Contains(err.Error(), "table, compact, json, sarif, junit") {
		t.Errorf("unknown format: %v", err)
	}
	for _, tc := range []struct {
		spec, format, file string
		ok                 bool
	}{
		{"table", "table", "", true},
		{"SARIF", "sarif", "", true},
		{"sarif=out.sarif", "sarif", "out.sarif", true},
		{"junit=reports/a=b.xml", "junit", "reports/a=b.xml", true},
		{"json=", "", "", false},
		{"xml=out.xml", "", "", false},
		{"", "", "", false},
	} {
		format, file, err := ParseOutput(tc.spec)
		if (err == nil) != tc.ok || format != tc.format || file != tc.file {
			t.Errorf("ParseOutput(%q) = %q, %q, %v", tc.spec, format, file, err)
		}
	}
}

// A writer that fails makes every format return the error.
func TestWriteError(t *testing.T) {
	for _, f := range Formats() {
		if err := Write(f, failingWriter{}, manyFindings(200), testOptions()); err == nil {
			t.Errorf("%s: write error not returned", f)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// Commands other than scan use the same parser with their own formats; a
// file name where a format belongs is answered with the FORMAT=FILE to use.
func TestParseOutputOf(t *testing.T) {
	formats := []string{"table", "json"}
	if f, file, err := ParseOutputOf("json=alerts.jsonl", formats); err != nil || f != "json" || file != "alerts.jsonl" {
		t.Errorf("json=alerts.jsonl: %q %q %v", f, file, err)
	}
	if _, _, err := ParseOutputOf("sarif", formats); err == nil || !strings.Contains(err.Error(), "want table, json") {
		t.Errorf("sarif: %v", err)
	}
	if _, _, err := ParseOutputOf("out/alerts.jsonl", formats); err == nil || !strings.Contains(err.Error(), "json=out/alerts.jsonl") {
		t.Errorf("a file name: %v", err)
	}
}

// Every renderer reports the exit status the CLI returns: SARIF's
// executionSuccessful is false and the table's gate says INCOMPLETE when
// input errors make the run exit 2, whatever the findings.
func TestRenderersAgreeWithExitCode(t *testing.T) {
	noFindings := func(res *scan.Result) *scan.Result { res.Findings = nil; return res }
	incomplete := withoutInputErrors(fixture())
	for _, tc := range []struct {
		name      string
		res       *scan.Result
		o         func(*Options)
		code      int
		tableGate string
	}{
		{"input errors", fixture(), nil, 2, "INCOMPLETE"},
		{"input errors, no findings", noFindings(fixture()), nil, 2, "INCOMPLETE"},
		{"findings at the gate", withoutInputErrors(fixture()), nil, 1, "FAILED"},
		{"clean", noFindings(withoutInputErrors(fixture())), nil, 0, "passed"},
		{"checks that did not run, --fail-on-incomplete", noFindings(incomplete), func(o *Options) { o.FailOnIncomplete = true }, 1, "--fail-on-incomplete: FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions()
			if tc.o != nil {
				tc.o(&o)
			}
			if got := Summarize(tc.res, o).ExitCode(); got != tc.code {
				t.Errorf("ExitCode = %d, want %d", got, tc.code)
			}
			var doc struct {
				Summary struct{ ExitCode int } `json:"summary"`
			}
			if err := json.Unmarshal(render(t, "json", tc.res, o), &doc); err != nil || doc.Summary.ExitCode != tc.code {
				t.Errorf("JSON exitCode %d (%v)", doc.Summary.ExitCode, err)
			}
			var sarif struct {
				Runs []struct {
					Invocations []struct {
						ExecutionSuccessful bool
						ExitCode            int
					}
				}
			}
			if err := json.Unmarshal(render(t, "sarif", tc.res, o), &sarif); err != nil {
				t.Fatal(err)
			}
			inv := sarif.Runs[0].Invocations[0]
			if inv.ExitCode != tc.code || inv.ExecutionSuccessful != (tc.code != 2) {
				t.Errorf("SARIF invocation %+v", inv)
			}
			table := string(render(t, "table", tc.res, o))
			if !strings.Contains(table[strings.LastIndex(table, "Gate"):], tc.tableGate) {
				t.Errorf("table gate:\n%s", table[strings.LastIndex(table, "Gate"):])
			}
			// JUnit: input errors are error cases, which CI shows as errors.
			suites := strings.SplitN(string(render(t, "junit", tc.res, o)), "\n", 3)[1]
			if strings.Contains(suites, `errors="0"`) == (tc.code == 2) {
				t.Errorf("JUnit for exit %d: %s", tc.code, suites)
			}
		})
	}
}
