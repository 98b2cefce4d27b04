package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func examples(name string) string { return filepath.Join("..", "..", "examples", name) }

// TestScanExamples holds the bundled examples to their promise: the
// insecure app fails the gate with the problems its README lists, the
// hardened twin is clean at every severity.
func TestScanExamples(t *testing.T) {
	code, _, r := scanFiles(t, examples("insecure"))
	if code != ExitFindings {
		t.Errorf("insecure: exit %d, want %d", code, ExitFindings)
	}
	for _, want := range []struct{ check, object string }{
		{"pss-privileged", "Deployment/shop/web"},
		{"pss-host-ports", "Deployment/shop/web"},
		{"pss-host-namespaces", "Deployment/shop/api"},
		{"sensitive-host-path", "Deployment/shop/api"},
		{"image-latest-tag", "Deployment/shop/web"},
		{"env-literal-credential", "Deployment/shop/api"},
		{"secret-committed-data", "Secret/shop/api-db"},
		{"service-load-balancer-unrestricted", "Service/shop/web"},
		{"service-node-port", "Service/shop/api"},
		{"ingress-without-tls", "Ingress/shop/web"},
		{"namespace-pod-security-enforce", "Namespace//shop"},
		{"netpol-namespace-default-deny-ingress", "Namespace//shop"},
	} {
		if !r.has(want.check, want.object) {
			t.Errorf("insecure: missing %s on %s", want.check, want.object)
		}
	}
	var rbac int
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Check, "rbac-") {
			rbac++
		}
	}
	if rbac == 0 {
		t.Error("insecure: no RBAC finding for a cluster-admin binding and a wildcard role")
	}

	code, _, r = scanFiles(t, examples("hardened"), "--fail-on", "info")
	if code != ExitClean || len(r.Findings) != 0 {
		t.Errorf("hardened: exit %d with %d findings: %+v", code, len(r.Findings), r.Findings)
	}
}

// scanFiles runs `kubeward scan` with a JSON report and returns it.
func scanFiles(t *testing.T, args ...string) (int, string, jsonReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, append([]string{"scan", "-o", "json=" + file}, args...)...)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, stderr)
	}
	var r jsonReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return code, stderr, r
}

func TestScanExitCodesAndOutputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
	privileged := write("priv.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x:1, securityContext: {privileged: true}}\n")
	broken := write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n")
	sarif := filepath.Join(dir, "out.sarif")
	cases := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"gate fails on a critical finding", []string{privileged}, "", ExitFindings, "at or above high"},
		{"no gate", []string{privileged, "--fail-on", "none"}, "", ExitClean, ""},
		{"gate above the findings", []string{privileged, "--checks", "pss-privileged", "--fail-on", "critical"}, "", ExitFindings, ""},
		{"skip the only failing check", []string{privileged, "--checks", "pss-*", "--skip-checks", "pss-privileged"}, "", ExitClean, ""},
		{"input error is exit 2 even with findings", []string{privileged, broken}, "", ExitError, "input error"},
		{"stdin", []string{"-", "--checks", "pss-privileged"}, "apiVersion: v1\nkind: Pod\nmetadata: {name: s}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n", ExitFindings, ""},
		{"unknown check is a usage error", []string{privileged, "--checks", "pss-privilegd"}, "", ExitError, `no check matches "pss-privilegd"`},
		{"unknown format", []string{privileged, "-o", "yaml"}, "", ExitError, "unknown output format"},
		{"two outputs on stdout", []string{privileged, "-o", "json", "-o", "table"}, "", ExitError, "only one output"},
		{"a file output without a file", []string{privileged, "-o", "sarif="}, "", ExitError, "names no file"},
		{"bad gate", []string{privileged, "--fail-on", "severe"}, "", ExitError, "unknown severity"},
		{"bad pss level", []string{privileged, "--pss-level", "strict"}, "", ExitError, "baseline or restricted"},
		{"table and sarif file together", []string{privileged, "-o", "table", "-o", "sarif=" + sarif, "--fail-on", "none"}, "", ExitClean, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb strings.Builder
			code := Main(append([]string{"scan"}, tt.args...), Streams{In: strings.NewReader(tt.stdin), Out: &out, Err: &errb})
			if code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), tt.code, tt.stderr)
			}
			// A usage error is found before the scan: no report is written.
			if strings.Contains(tt.stderr, "output") && out.Len() > 0 {
				t.Errorf("a usage error after a report was written: %.100q", out.String())
			}
		})
	}
	data, err := os.ReadFile(sarif)
	if err != nil || !strings.Contains(string(data), `"ruleId": "pss-privileged"`) {
		t.Errorf("SARIF file: %v %.200s", err, data)
	}
}

func TestScanConfigSuppression(t *testing.T) {
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.yaml")
	os.WriteFile(pod, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: agents}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: x:1}]\n"), 0o644)
	cfg := filepath.Join(dir, "kubeward.yaml")
	os.WriteFile(cfg, []byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
failOn: high
checks:
  include: ["pss-*"]
suppressions:
- check: pss-host-namespaces
  namespace: agents
  reason: the agent needs the node's network
`), 0o644)
	code, _, r := scanFiles(t, pod, "--config", cfg)
	if code != ExitClean || len(r.Findings) != 1 {
		t.Fatalf("exit %d, findings %+v; want the one finding, suppressed", code, r.Findings)
	}
	code, _, stderr := runCLI(t, "scan", pod, "--config", filepath.Join(dir, "missing.yaml"))
	if code != ExitError || !strings.Contains(stderr, "missing.yaml: no such file") {
		t.Errorf("missing config: exit %d, %q", code, stderr)
	}
}

func TestChecksExplainVersion(t *testing.T) {
	code, out, _ := runCLI(t, "checks")
	if code != 0 || !strings.Contains(out, "pss-privileged") || !strings.Contains(out, "SEVERITY") {
		t.Errorf("checks: %d %.300s", code, out)
	}
	code, out, _ = runCLI(t, "explain", "pss-privileged")
	if code != 0 || !strings.Contains(out, "How to fix") || !strings.Contains(out, "5.2.2") {
		t.Errorf("explain: %d %s", code, out)
	}
	code, _, errOut := runCLI(t, "explain", "nope")
	if code != ExitError || !strings.Contains(errOut, `no check "nope"`) {
		t.Errorf("explain nope: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "kubeward ") {
		t.Errorf("version: %d %s", code, out)
	}
	code, out, _ = runCLI(t, "completion", "bash")
	if code != 0 || !strings.Contains(out, "kubeward") {
		t.Errorf("completion: %d", code)
	}
}

// TestScanRenders: charts and overlays found in a scan are rendered, with
// --set reaching the chart, and findings point at the template and line.
func TestScanRenders(t *testing.T) {
	chart := filepath.Join("..", "source", "helm", "testdata", "app")
	onDeployment := func(r jsonReport) int {
		n := 0
		for _, f := range r.Findings {
			if f.Object.Kind == "Deployment" {
				n++
				if f.Source.Template != "app/templates/deployment.yaml" {
					t.Errorf("template = %q", f.Source.Template)
				}
			}
		}
		return n
	}
	_, _, r := scanFiles(t, chart, "--fail-on", "none", "--checks", "read-only-root-filesystem")
	if n := onDeployment(r); n != 0 {
		t.Fatalf("the chart's defaults are read-only, got %d findings", n)
	}
	_, _, r = scanFiles(t, chart, "--fail-on", "none", "--checks", "read-only-root-filesystem", "--set", "securityContext.readOnlyRootFilesystem=false")
	if n := onDeployment(r); n != 1 {
		t.Fatalf("--set securityContext.readOnlyRootFilesystem=false: %d findings on the Deployment, want 1", n)
	}
	// The chart's values schema refuses a mutable tag: an input error that
	// does not repeat the value.
	code, _, _ := runCLI(t, "scan", chart, "--set", "image.tag=latest-and-greatest", "-o", "json")
	if code != ExitError {
		t.Errorf("schema violation: exit %d", code)
	}
	code, _, stderr := runCLI(t, "scan", chart, "--set", "noequals")
	if code != ExitError || !strings.Contains(stderr, "cannot be parsed") {
		t.Errorf("bad --set: exit %d %q", code, stderr)
	}

	overlay := filepath.Join("..", "source", "kustomize", "testdata", "overlays", "prod")
	if _, err := os.Stat(overlay); err != nil {
		t.Fatalf("fixture moved: %v", err)
	}
	code, _, r = scanFiles(t, overlay, "--fail-on", "none")
	if code != ExitClean || r.Summary.Objects == 0 {
		t.Errorf("kustomize overlay: exit %d, %d objects", code, r.Summary.Objects)
	}
	// Each finding names the file its object was written in, not the
	// overlay (internal/source/kustomize tests the lines).
	for _, f := range r.Findings {
		if !strings.Contains(f.Source.File, "source/kustomize/testdata/") || !strings.HasSuffix(f.Source.File, ".yaml") || f.Source.Template != "" {
			t.Errorf("%s on %s is in %q (template %q), not in a file of the overlay or its bases", f.Check, f.Object.Name, f.Source.File, f.Source.Template)
		}
	}
}

func TestScanRejectsBadRegistryAllowlist(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "kubeward.yaml")
	os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  allowedRegistries: [\"ghcr.io/\", \"registry.example.com/*/app\"]\n"), 0o644)
	code, _, stderr := runCLI(t, "scan", examples("hardened"), "--config", cfg)
	if code != ExitError || !strings.Contains(stderr, "allowedRegistries") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// TestChecksPeers: people switching from another scanner find its check ids
// in the listing and through --peer, and opt-in checks say so.
func TestChecksPeers(t *testing.T) {
	code, out, _ := runCLI(t, "checks", "--peer", "ksv029")
	if code != 0 || !strings.Contains(out, "run-as-root-group") || strings.Contains(out, "pss-privileged") || !strings.Contains(out, "PEERS") {
		t.Errorf("checks --peer ksv029: %d %s", code, out)
	}
	code, _, errOut := runCLI(t, "checks", "--peer", "KSV999")
	if code != ExitError || !strings.Contains(errOut, "KSV999") {
		t.Errorf("checks --peer KSV999: %d %s", code, errOut)
	}
	code, out, _ = runCLI(t, "checks", "--category", "workload")
	if code != 0 || !strings.Contains(out, "run-as-high-uid-gid") || !strings.Contains(out, "(opt-in)") {
		t.Errorf("checks --category workload must list opt-in checks, marked: %d %s", code, out)
	}
	code, out, _ = runCLI(t, "explain", "run-as-high-uid-gid")
	if code != 0 || !strings.Contains(out, "Opt-in") || !strings.Contains(out, "Trivy KSV020") {
		t.Errorf("explain: %d %s", code, out)
	}
}

// TestScanKubeVersion: API versions are judged against --kube-version (or
// kubeVersion in the configuration), kubeward's own release by default.
func TestScanKubeVersion(t *testing.T) {
	dir := t.TempDir()
	ing := filepath.Join(dir, "ingress.yaml")
	if err := os.WriteFile(ing, []byte("apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {rules: [{host: a.example.com}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, r := scanFiles(t, ing, "--checks", "api-version-removed,api-version-deprecated", "--fail-on", "none")
	if !r.has("api-version-removed", "Ingress/shop/web") {
		t.Errorf("default target: %+v", r.Findings)
	}
	_, _, r = scanFiles(t, ing, "--checks", "api-version-removed,api-version-deprecated", "--kube-version", "v1.20.4", "--fail-on", "none")
	if r.has("api-version-removed", "Ingress/shop/web") || !r.has("api-version-deprecated", "Ingress/shop/web") {
		t.Errorf("--kube-version 1.20: %+v", r.Findings)
	}
	cfg := filepath.Join(dir, "kubeward.yaml")
	if err := os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nkubeVersion: \"1.18\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, r = scanFiles(t, ing, "--config", cfg, "--checks", "api-version-removed,api-version-deprecated", "--fail-on", "none")
	if len(r.Findings) != 0 {
		t.Errorf("kubeVersion 1.18 in the configuration: %+v", r.Findings)
	}
	code, _, stderr := runCLI(t, "scan", ing, "--kube-version", "latest")
	if code != ExitError || !strings.Contains(stderr, "kube version") {
		t.Errorf("--kube-version latest: %d %s", code, stderr)
	}
}

// A scan that exits 2 for input errors says so in every report: SARIF's
// executionSuccessful is false, JSON's exitCode is 2, the table does not
// say "passed".
func TestScanReportsAgreeWithExitCode(t *testing.T) {
	dir := t.TempDir()
	good := writeTestFile(t, dir, "good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\ndata: {a: b}\n")
	bad := writeTestFile(t, dir, "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d\n")
	sarif, js := filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.json")
	code, out, stderr := runCLI(t, "scan", good, bad, "-o", "table", "-o", "sarif="+sarif, "-o", "json="+js)
	if code != ExitError || strings.Contains(out, "passed") || !strings.Contains(out, "INCOMPLETE") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	var s struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				ExitCode            int  `json:"exitCode"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	data, _ := os.ReadFile(sarif)
	if err := json.Unmarshal(data, &s); err != nil || s.Runs[0].Invocations[0].ExecutionSuccessful || s.Runs[0].Invocations[0].ExitCode != 2 {
		t.Errorf("SARIF invocations %+v (%v)", s.Runs, err)
	}
	var j struct {
		Summary struct {
			ExitCode int `json:"exitCode"`
		} `json:"summary"`
	}
	data, _ = os.ReadFile(js)
	if err := json.Unmarshal(data, &j); err != nil || j.Summary.ExitCode != 2 {
		t.Errorf("JSON exitCode %d (%v)", j.Summary.ExitCode, err)
	}
}
