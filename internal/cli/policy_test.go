package cli

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/kubetest"
)

func policyExample(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "examples", "policy"}, parts...)...)
}

// TestPolicyExample holds examples/policy to its promise: its cases pass,
// and its manifests are decided as its README says.
func TestPolicyExample(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "cases.xml")
	code, out, errOut := runCLI(t, "policy", "test", "-f", policyExample("policies"), "--cases", policyExample("tests.yaml"), "--junit", junit)
	if code != ExitClean || !strings.Contains(out, "--- 9 passed, 0 failed") {
		t.Fatalf("cases: exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
				Line int    `xml:"line,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || doc.Tests != 9 || doc.Failures != 0 || doc.Suites[0].Cases[0].Line != 6 {
		t.Fatalf("junit: %v %+v\n%s", err, doc, data)
	}

	code, out, errOut = runCLI(t, "policy", "test", "-f", policyExample("policies"), policyExample("manifests"), "-o", "json")
	if code != ExitFindings {
		t.Fatalf("manifests: exit %d, want %d\n%s", code, ExitFindings, errOut)
	}
	var rep policyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range rep.Objects {
		d := "admit"
		switch {
		case !o.Allowed:
			d = "deny: " + o.Message
		case len(o.Warnings) > 0:
			d = "warn: " + o.Warnings[0]
		case !o.Applicable():
			d = "n/a"
		}
		got[o.Object.String()] = d
	}
	want := map[string]string{
		"Deployment/shop/web":  `deny: deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas' denied request: spec.replicas is 6; the limit in shop is 4`,
		"Deployment/shop/api":  `deny: deployments.apps "api" is forbidden: ValidatingAdmissionPolicy 'no-latest-tag' with binding 'no-latest-tag-prod' denied request: containers api must use a versioned image, not :latest`,
		"Pod/sandbox/debug":    `warn: Validation failed for ValidatingAdmissionPolicy 'no-latest-tag' with binding 'no-latest-tag-other': containers shell must use a versioned image, not :latest`,
		"Service/shop/web":     "n/a",
		"Certificate/shop/web": "n/a",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], v)
		}
	}
	if rep.Summary.Denied != 2 || rep.Summary.Warned != 1 || rep.Summary.NotApplicable != 2 {
		t.Errorf("summary %+v", rep.Summary)
	}
}

func TestPolicyTestFailuresAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
	failing := write("failing.yaml", `apiVersion: kubeward.dev/v1alpha1
kind: PolicyTest
cases:
- name: wrongly expects admit
  expect: admit
  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop}
    spec: {containers: [{name: web, image: "web:latest"}]}
- name: wrong message
  expect: deny
  message: "something else"
  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop}
    spec: {containers: [{name: web, image: "web:latest"}]}
`)
	junit := filepath.Join(dir, "out.xml")
	code, out, _ := runCLI(t, "policy", "test", "-f", policyExample("policies"), "--cases", failing, "--junit", junit)
	if code != ExitFindings || !strings.Contains(out, "FAIL  wrongly expects admit ("+failing+":4)") ||
		!strings.Contains(out, "want admit, got deny: pods \"web\" is forbidden") || !strings.Contains(out, `does not contain "something else"`) ||
		!strings.Contains(out, "--- 0 passed, 2 failed") {
		t.Errorf("exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(junit); !strings.Contains(string(data), `failures="2"`) || !strings.Contains(string(data), "<failure message=\"want admit, got deny") {
		t.Errorf("junit:\n%s", data)
	}

	badCase := write("bad.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: PolicyTest\ncases:\n- name: x\n  expect: admit\n  objet: {}\n")
	badPolicy := write("policy.yaml", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations: [{expression: "object.spec.containers.all(c, c.image.endsWith(':latest')"}]
`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{policyExample("manifests")}, "name the policies and bindings with -f PATH"},
		{[]string{"-f", policyExample("policies")}, "name manifests to evaluate, or cases with --cases FILE"},
		{[]string{"-f", policyExample("policies"), "--cases", badCase}, badCase + ":6: field objet not found"},
		{[]string{"-f", badPolicy, policyExample("manifests")}, `ValidatingAdmissionPolicy.admissionregistration.k8s.io "broken" is invalid: spec.validations[0].expression`},
		{[]string{"-f", policyExample("policies"), "-o", "yaml", policyExample("manifests")}, `unknown output format "yaml"`},
	} {
		code, out, errOut := runCLI(t, append([]string{"policy", "test"}, tt.args...)...)
		if code != ExitError || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tt.args, code, tt.want, out, errOut)
		}
	}
}

// TestScanCustomChecks runs custom checks through `kubeward scan`, from
// the flag and from the configuration file, with selection, suppression
// and load errors.
func TestScanCustomChecks(t *testing.T) {
	checks, manifests := policyExample("checks"), policyExample("manifests")
	only := []string{"--checks", "workload-team-label,liveness-probe,certificate-max-duration", "--fail-on", "medium"}
	code, _, r := scanFiles(t, append([]string{"--custom-checks", checks, manifests}, only...)...)
	if code != ExitFindings {
		t.Errorf("exit %d, want %d", code, ExitFindings)
	}
	for _, want := range []struct{ check, object string }{
		{"workload-team-label", "Deployment/shop/web"},
		{"workload-team-label", "Deployment/shop/api"},
		{"liveness-probe", "Pod/sandbox/debug"},
		{"certificate-max-duration", "Certificate/shop/web"},
	} {
		if !r.has(want.check, want.object) {
			t.Errorf("missing %s on %s", want.check, want.object)
		}
	}
	if len(r.Findings) != 6 {
		t.Errorf("%d findings, want 6: %+v", len(r.Findings), r.Findings)
	}

	// From the configuration file, relative to it; --skip-checks applies.
	dir := t.TempDir()
	abs, err := filepath.Abs(checks)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, filepath.Join(dir, "checks")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "kubeward.yaml")
	if err := os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\ncustomChecks: [checks]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, r = scanFiles(t, append([]string{"--config", cfg, "--skip-checks", "liveness-probe", manifests}, only...)...)
	if r.has("liveness-probe", "Pod/sandbox/debug") || !r.has("certificate-max-duration", "Certificate/shop/web") || len(r.Findings) != 3 {
		t.Errorf("config: %+v", r.Findings)
	}

	// Load errors are usage errors, with file and line.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Check\nid: run-as-non-root\ntitle: t\nseverity: low\npodSpec: true\nexpression: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "scan", "--custom-checks", bad, manifests)
	if code != ExitError || !strings.Contains(errOut, bad+":3: check run-as-non-root: id is the id of a built-in check") {
		t.Errorf("collision: exit %d: %s", code, errOut)
	}
}

// TestScanClusterCustomChecks runs custom checks in a cluster scan: the
// loader lists the kinds they read, custom resources included.
func TestScanClusterCustomChecks(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	k := newKube(t, c)
	ctx := context.Background()
	for _, y := range []string{`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {kind: Certificate, plural: certificates, singular: certificate, listKind: CertificateList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`,
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}",
		"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: shop}\nspec: {secretName: web-tls, duration: 8760h}",
		"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: short, namespace: shop}\nspec: {secretName: short-tls, duration: 720h}",
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {team: shop}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1", livenessProbe: {tcpSocket: {port: 80}}}]}`,
		`apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "api:1"}]}`,
	} {
		k.mustCreate(ctx, c.Config, obj(t, y))
	}
	code, r, raw := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--custom-checks", policyExample("checks"),
		"--checks", "workload-team-label,liveness-probe,certificate-max-duration", "--fail-on", "none")
	if code != ExitClean {
		t.Errorf("exit %d", code)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Check+" "+f.Object.Kind+"/"+f.Object.Name+" "+f.Path)
	}
	want := []string{
		"certificate-max-duration Certificate/web spec.duration",
		"liveness-probe Deployment/api spec.template.spec.containers",
		"workload-team-label Deployment/api metadata.labels.team",
	}
	if strings.Join(sorted(got), "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant\n%s\n%s", strings.Join(sorted(got), "\n"), strings.Join(want, "\n"), raw)
	}
}

// A policy the API server would refuse takes no part in decisions, so no
// case may pass on its account: every case that depends on it is an error
// in the table, the JSON and JUnit (exit 2), never a PASS.
func TestPolicyTestRefusedPolicyFailsItsCases(t *testing.T) {
	dir := t.TempDir()
	policies := writeTestFile(t, dir, "policies.yaml", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.spec.containers.all(c, c.image.endsWith(':latest') ==)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: broken}
spec: {policyName: broken, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: fine}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  validations:
  - expression: "true"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: fine}
spec: {policyName: fine, validationActions: [Deny]}
`)
	cases := writeTestFile(t, dir, "cases.yaml", `apiVersion: kubeward.dev/v1alpha1
kind: PolicyTest
cases:
- name: admitted, as the broken policy does nothing
  expect: admit
  object: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: "x:latest"}]}}
- name: only the fine policy
  expect: admit
  policies: [fine]
  object: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
`)
	junit := filepath.Join(dir, "cases.xml")
	code, out, errOut := runCLI(t, "policy", "test", "-f", policies, "--cases", cases, "-o", "table", "-o", "json="+filepath.Join(dir, "rep.json"), "-o", "junit="+junit)
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	if strings.Contains(out, "PASS  admitted") || !strings.Contains(out, "ERROR admitted, as the broken policy does nothing") ||
		!strings.Contains(out, `the API server would refuse ValidatingAdmissionPolicy "broken"`) || !strings.Contains(out, "PASS  only the fine policy") ||
		!strings.Contains(out, "1 passed, 0 failed, 1 not evaluated") {
		t.Errorf("table:\n%s\n%s", out, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "rep.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep policyReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 2 || rep.Cases[0].Passed || rep.Cases[0].Error == "" || !rep.Cases[1].Passed || rep.Summary.Errors != 1 {
		t.Errorf("json: %+v", rep.Cases)
	}
	data, err = os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Cases []struct {
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || doc.Tests != 2 || doc.Errors != 1 || doc.Suites[0].Cases[0].Error == nil || doc.Suites[0].Cases[1].Error != nil {
		t.Errorf("junit: %v %+v\n%s", err, doc, data)
	}
}

// The assumption about a namespace missing from the inputs is said once
// per run, not once per object or case; select: all runs every object of
// a file as its own case.
func TestPolicyTestNamespaceNoteOnceAndSelectAll(t *testing.T) {
	dir := t.TempDir()
	pods := writeTestFile(t, dir, "pods.yaml", `apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {containers: [{name: c, image: "nginx:latest"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {containers: [{name: c, image: "nginx:latest"}]}
`)
	cases := writeTestFile(t, dir, "cases.yaml", `apiVersion: kubeward.dev/v1alpha1
kind: PolicyTest
cases:
- name: every pod warns
  expect: warn
  file: pods.yaml
  select: all
`)
	code, out, errOut := runCLI(t, "policy", "test", "-f", policyExample("policies"), pods, "--cases", cases)
	if n := strings.Count(errOut, `namespace "default" is not in the inputs`); n != 1 {
		t.Errorf("the note is said %d times:\n%s", n, errOut)
	}
	if strings.Contains(out, "not in the inputs") || !strings.Contains(out, "PASS  every pod warns [Pod/a]") || !strings.Contains(out, "PASS  every pod warns [Pod/b]") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
