package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeTree writes files (path: content) below a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const shopChartTemplate = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: {{ .Release.Name }}-web
      containers:
      - name: c
        image: {{ .Values.image }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader
subjects:
- kind: ServiceAccount
  name: {{ .Release.Name }}-web
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
`

// nsPolicy denies Deployments in namespace team: policy test sees the
// namespace a chart's objects are in.
const nsPolicy = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: not-team}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "request.namespace != 'team' && object.metadata.namespace != 'team'"
    messageExpression: "'namespace ' + request.namespace"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: not-team}
spec: {policyName: not-team, validationActions: [Deny]}
`

// TestQueriesRenderChartsAndOverlays: rbac, netpol and policy test -f read
// charts and overlays as scan does. rbac and netpol used to read the
// templates as plain YAML ("invalid YAML" and no answer) and an overlay's
// files without the kustomization's namespace. A chart's objects without a
// namespace are in the release namespace, as Helm installs them, not in
// "default"; policy test names the template an object was rendered from,
// as scan does (it named the chart's directory).
func TestQueriesRenderChartsAndOverlays(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"chart/Chart.yaml":           "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"chart/values.yaml":          "image: nginx:1\n",
		"chart/templates/shop.yaml":  shopChartTemplate,
		"policy.yaml":                nsPolicy,
		"overlay/kustomization.yaml": "namespace: shop\nresources: [deploy.yaml]\n",
		"overlay/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n" +
			"  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: c, image: x}]}\n",
	})
	chart, overlay := filepath.Join(dir, "chart"), filepath.Join(dir, "overlay")

	code, out, errs := runCLI(t, "rbac", "who-can", "get", "secrets", "-n", "team", "-f", chart,
		"--release-name", "shop", "--release-namespace", "team", "-o", "json")
	if code != ExitClean || !strings.Contains(out, `"name": "shop-web"`) {
		t.Errorf("rbac who-can on a chart: exit %d, stderr %q; the chart's binding is missing:\n%s", code, errs, out)
	}
	code, out, errs = runCLI(t, "netpol", "matrix", "-f", chart, "-f", overlay, "--release-namespace", "team")
	if code != ExitClean || !strings.Contains(out, "team/Deployment/release-name-web") || !strings.Contains(out, "shop/Deployment/api") {
		t.Errorf("netpol matrix on a chart and an overlay: exit %d, stderr %q; want both workloads in their namespaces:\n%s", code, errs, out)
	}
	code, out, errs = runCLI(t, "policy", "test", "-f", filepath.Join(dir, "policy.yaml"), chart, "--release-namespace", "team")
	if code != ExitFindings || !strings.Contains(out, "chart/templates/shop.yaml:1 (rendered) Deployment/team/release-name-web  DENIED") ||
		!strings.Contains(out, "denied request: namespace team") {
		t.Errorf("policy test on a chart: exit %d, stderr %q; want its Deployment denied in the release namespace:\n%s", code, errs, out)
	}
	// The values flags reach charts in every command.
	code, _, r := scanFiles(t, chart, "--set", "image=nginx:latest", "--checks", "image-latest-tag", "--fail-on", "info")
	if code != ExitFindings || !r.has("image-latest-tag", "Deployment/release-namespace/release-name-web") {
		t.Errorf("scan --set: exit %d, findings %+v", code, r.Findings)
	}
}

// TestRendererFlagsEverywhere: every command that reads charts takes the
// same renderer flags.
func TestRendererFlagsEverywhere(t *testing.T) {
	root := NewRoot(Streams{})
	flags := []string{"values", "set", "set-string", "set-file", "set-json", "set-literal", "release-name", "release-namespace",
		"kube-version", "api-versions", "render-timeout", "config"}
	for _, path := range [][]string{
		{"scan"}, {"rbac", "who-can"}, {"rbac", "can"}, {"rbac", "paths"}, {"rbac", "unused"},
		{"netpol", "matrix"}, {"netpol", "explain"}, {"netpol", "generate"}, {"policy", "test"}, {"images"},
	} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatalf("%v: %v", path, err)
		}
		for _, f := range flags {
			if cmd.Flags().Lookup(f) == nil {
				t.Errorf("%s has no --%s", strings.Join(path, " "), f)
			}
		}
	}
}

// TestNothingToJudgeFails: input that holds nothing to judge exits 2 with
// one sentence and no report, in every command that reads manifests. A
// missing path used to print "Gate: passed" before exiting 2, and empty
// standard input (helm template failing into a pipe) passed the gate.
func TestNothingToJudgeFails(t *testing.T) {
	empty := t.TempDir()
	notes := writeTree(t, map[string]string{"values.yaml": "replicaCount: 1\n", "README.md": "# hi\n"})
	missing := filepath.Join(empty, "nope.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "-"}, "nothing to check: standard input is empty"},
		{[]string{"scan", missing}, "nope.yaml: no such file or directory"},
		{[]string{"scan", empty}, "nothing to check: no Kubernetes object in"},
		{[]string{"scan", notes}, "nothing to check: no Kubernetes object in"},
		{[]string{"netpol", "matrix", "-f", missing}, "nope.yaml: no such file or directory"},
		{[]string{"rbac", "who-can", "get", "secrets", "-f", missing}, "nope.yaml: no such file or directory"},
		{[]string{"rbac", "who-can", "get", "secrets", "-f", empty}, "nothing to check"},
		{[]string{"policy", "test", "-f", missing, notes}, "nope.yaml: no such file or directory"},
		{[]string{"images", missing}, "nope.yaml: no such file or directory"},
		{[]string{"images", empty}, "nothing to check: no Kubernetes object in"},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != ExitError || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, no output and %q", c.args, code, out, errs, c.want)
		}
	}
}

// TestListsAndFlowDocumentsReachTheChecks: a PodList dump and a document
// written on its "---" line are judged like any manifest. The items of a
// typed list used to be rejected one by one (a NetworkPolicy matrix lost
// their namespaces), and the flow document vanished without a word.
func TestListsAndFlowDocumentsReachTheChecks(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"pods.yaml": `apiVersion: v1
kind: PodList
items:
- metadata: {name: web-1, namespace: shop, labels: {app: web}}
  spec: {containers: [{name: c, image: "nginx:1", securityContext: {privileged: true}}]}
- metadata: {name: db-1, namespace: data, labels: {app: db}}
  spec: {containers: [{name: c, image: "postgres:16"}]}
`,
		"flow.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" +
			"--- {apiVersion: v1, kind: Pod, metadata: {name: flow, namespace: shop}, spec: {containers: [{name: c, image: \"x:1\", securityContext: {privileged: true}}]}}\n",
	})
	code, _, r := scanFiles(t, dir, "--checks", "pss-privileged")
	if code != ExitFindings || !r.has("pss-privileged", "Pod/shop/web-1") || !r.has("pss-privileged", "Pod/shop/flow") {
		t.Errorf("scan: exit %d, findings %+v", code, r.Findings)
	}
	code, out, errs := runCLI(t, "netpol", "matrix", "-f", filepath.Join(dir, "pods.yaml"))
	if code != ExitClean || !strings.Contains(out, "shop/Pod/web-1") || !strings.Contains(out, "data/Pod/db-1") {
		t.Errorf("netpol matrix on a PodList: exit %d, stderr %q:\n%s", code, errs, out)
	}
}

// TestRejectedObjects: an object the API server would reject is an input
// error at its line (exit 2), where it used to be dropped from every check
// silently; for a target release older than kubeward's libraries, a version
// they no longer carry may be served, and is a warning.
func TestRejectedObjects(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"wrong.yaml": "apiVersion: v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n",
		"hpa.yaml":   "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {maxReplicas: 2}\n",
	})
	code, _, r := scanFiles(t, filepath.Join(dir, "wrong.yaml"), filepath.Join(dir, "hpa.yaml"))
	var got []string
	for _, p := range r.Problems {
		got = append(got, fmt.Sprintf("%s %s:%d", p.Level, filepath.Base(p.File), p.Line))
	}
	if code != ExitError || strings.Join(got, ",") != "error hpa.yaml:2,error wrong.yaml:2" {
		t.Errorf("exit %d, problems %v", code, r.Problems)
	}
	code, _, r = scanFiles(t, filepath.Join(dir, "hpa.yaml"), "--kube-version", "1.24")
	if code != ExitClean || len(r.Problems) != 1 || r.Problems[0].Level != "warning" {
		t.Errorf("at 1.24: exit %d, problems %v", code, r.Problems)
	}
}

// TestKustomizePositions: a finding in a Kustomize build names the file
// the field was written in and its line there, the patch's when a patch set
// it. Findings used to name the overlay's path joined with the resource's
// (kz/base/kz/base/deploy.yaml) at lines of the build's output, so SARIF
// annotations landed nowhere.
func TestKustomizePositions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"kz/base/kustomization.yaml": "resources: [deploy.yaml]\n",
		"kz/base/deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
`,
		"kz/overlay/kustomization.yaml": "namePrefix: prod-\nresources: [../base]\npatches:\n- path: host.yaml\n",
		"kz/overlay/host.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      hostNetwork: true
`,
	})
	t.Chdir(dir)
	locations := func(path string) map[string]string {
		t.Helper()
		code, _, errs := runCLI(t, "scan", path, "--checks", "pss-privileged,pss-host-namespaces", "-o", "json=out.json", "-o", "sarif=out.sarif")
		if code != ExitFindings {
			t.Fatalf("scan %s: exit %d: %s", path, code, errs)
		}
		var report struct {
			Findings []struct {
				Check    string `json:"check"`
				Location struct {
					File string `json:"file"`
					Line int    `json:"line"`
				} `json:"location"`
			} `json:"findings"`
		}
		data, err := os.ReadFile("out.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &report); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range report.Findings {
			got[f.Check] = fmt.Sprintf("%s:%d", f.Location.File, f.Location.Line)
		}
		sarif, err := os.ReadFile("out.sarif")
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range got {
			if file, _, _ := strings.Cut(loc, ":"); !strings.Contains(string(sarif), `"uri": "`+file+`"`) {
				t.Errorf("SARIF has no artifact %s:\n%s", file, sarif)
			}
		}
		return got
	}
	if got := locations("kz/base"); got["pss-privileged"] != "kz/base/deploy.yaml:15" {
		t.Errorf("base: %v, want pss-privileged at kz/base/deploy.yaml:15", got)
	}
	got := locations("kz/overlay")
	if got["pss-privileged"] != "kz/base/deploy.yaml:15" || got["pss-host-namespaces"] != "kz/overlay/host.yaml:8" {
		t.Errorf("overlay: %v, want pss-privileged at kz/base/deploy.yaml:15 and pss-host-namespaces at kz/overlay/host.yaml:8", got)
	}
}

// TestConfigAndIgnoreFiles: the configuration file is found in a parent
// directory up to the repository root, and said on stderr; its
// paths.exclude and the .kubewardignore files leave known-bad files out of
// every command. The configuration used to be read from the working
// directory only.
func TestConfigAndIgnoreFiles(t *testing.T) {
	bad := "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: [{name: c, image: \"x:1\", securityContext: {privileged: true}}]}\n"
	dir := writeTree(t, map[string]string{
		".git/HEAD":                   "ref: refs/heads/main\n",
		".kubeward.yaml":              "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nfailOn: high\npaths:\n  exclude: [\"deploy/legacy/\"]\n",
		".kubewardignore":             "# fixtures of another tool\n**/testdata/\n",
		"deploy/app.yaml":             "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec: {containers: [{name: c, image: \"x:1\"}]}\n",
		"deploy/legacy/old.yaml":      bad,
		"deploy/testdata/bad.yaml":    bad,
		"deploy/sub/.kubewardignore":  "generated-*.yaml\n",
		"deploy/sub/generated-x.yaml": bad,
	})
	t.Chdir(filepath.Join(dir, "deploy"))
	code, _, errs := runCLI(t, "scan", ".", "--checks", "pss-privileged")
	if code != ExitClean || !strings.Contains(errs, "kubeward: configuration "+filepath.ToSlash(filepath.Join(dir, ".kubeward.yaml"))) {
		t.Errorf("scan: exit %d, stderr %q; want the parent's configuration used and every bad file excluded", code, errs)
	}
	code, out, errs := runCLI(t, "netpol", "matrix", "-f", ".", "-o", "json")
	if code != ExitClean || strings.Contains(out, "bad") || !strings.Contains(out, "default/Pod/app") {
		t.Errorf("netpol: exit %d, stderr %q:\n%s", code, errs, out)
	}
	// Outside the repository, a file in a parent directory does not apply.
	if err := os.Remove(filepath.Join(dir, ".git", "HEAD")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, ".git")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "scan", "legacy", "--checks", "pss-privileged"); code != ExitFindings || strings.Contains(errs, "configuration") {
		t.Errorf("outside a repository: exit %d, stderr %q", code, errs)
	}
}

// TestMain runs kubeward itself when KUBEWARD_HELPER_PROCESS is set:
// tests run it as a child process for input that may leave work running in
// the background (a template that never ends), which exiting ends. With
// KUBEWARD_AGENT_STORM it is BenchmarkAgentEvents's load.
func TestMain(m *testing.M) {
	if os.Getenv("KUBEWARD_HELPER_PROCESS") == "1" {
		os.Exit(Main(os.Args[1:], Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
	}
	if kind := os.Getenv("KUBEWARD_AGENT_STORM"); kind != "" {
		agentStorm(kind, os.Getenv("KUBEWARD_AGENT_STORM_ADDR"))
	}
	os.Exit(m.Run())
}

// runChild runs kubeward in a child process and returns its exit code,
// output, how long it took and its peak resident memory.
func runChild(t *testing.T, args ...string) (code int, out string, took time.Duration, peakRSS int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KUBEWARD_HELPER_PROCESS=1")
	start := time.Now()
	b, err := cmd.CombinedOutput()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakRSS = ru.Maxrss << 10 // KiB on Linux
	}
	return code, string(b), time.Since(start), peakRSS
}

// TestUnboundedInputsStop: a template that loops for ever, a chart that
// renders millions of documents, huge values and /dev/zero all stop with a
// clear sentence in bounded time and memory. They used to run for ever, or
// until memory ran out (a 400 MB value took 2.8 GB, 3 million documents
// 6.4 GB). The 400 MB files are sparse: they cost no disk.
func TestUnboundedInputsStop(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"loop/Chart.yaml":          "apiVersion: v2\nname: loop\nversion: 0.1.0\n",
		"loop/templates/loop.yaml": "{{- range until 100000 }}{{- range until 100000 }}x{{- end }}{{- end }}\n",
		"many/Chart.yaml":          "apiVersion: v2\nname: many\nversion: 0.1.0\n",
		"many/templates/many.yaml": "{{- range $i := until 1500000 }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{{ $i }}\n{{- end }}\n",
		"big-value.txt":            strings.Repeat("x", 20<<20),
		"huge/Chart.yaml":          "apiVersion: v2\nname: huge\nversion: 0.1.0\n",
		"huge/templates/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: {{ .Values.v | quote }}}\n",
	})
	for _, name := range []string{"huge/values.yaml", "values-400MB.yaml"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("v: "); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(400 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", filepath.Join(dir, "loop"), "--render-timeout", "2s"}, "rendering took longer than 2s"},
		{[]string{"scan", filepath.Join(dir, "many"), "-o", "json"}, "is over the limit of 67108864 bytes"},
		{[]string{"scan", filepath.Join(dir, "many"), "--set-file", "v=" + filepath.Join(dir, "big-value.txt")}, "larger than the limit of 16777216 bytes"},
		{[]string{"scan", filepath.Join(dir, "huge"), "--values", filepath.Join(dir, "values-400MB.yaml")}, "larger than the limit of 16777216 bytes"},
		{[]string{"rbac", "who-can", "get", "secrets", "-f", filepath.Join(dir, "huge")}, "chart exceeds maximum decompressed size"},
		{[]string{"scan", "/dev/zero"}, "nothing to check"},
	} {
		code, out, took, rss := runChild(t, c.args...)
		t.Logf("%v: exit %d after %s, peak RSS %d MiB", c.args[:2], code, took.Round(time.Millisecond), rss>>20)
		if code != ExitError || !strings.Contains(out, c.want) || took > 2*time.Minute {
			t.Errorf("%v: exit %d after %s, want exit 2 and %q:\n%s", c.args, code, took, c.want, out)
		}
		// The render's own bound is 1 GiB of heap; the process around it
		// and the garbage collector's headroom come on top.
		if rss > 1536<<20 {
			t.Errorf("%v: peak RSS %d MiB", c.args, rss>>20)
		}
	}
}
