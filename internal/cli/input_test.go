package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// TestQueriesRenderChartsAndOverlays: rbac and netpol -f read charts and
// overlays as scan does. They used to read the templates as plain YAML
// ("invalid YAML" and no answer) and an overlay's files without the
// kustomization's namespace. A chart's objects without a namespace are in
// the release namespace, as Helm installs them, not in "default".
func TestQueriesRenderChartsAndOverlays(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"chart/Chart.yaml":           "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"chart/values.yaml":          "image: nginx:1\n",
		"chart/templates/shop.yaml":  shopChartTemplate,
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
		{"netpol", "matrix"}, {"netpol", "explain"}, {"netpol", "generate"}, {"policy", "test"},
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
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != ExitError || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, no output and %q", c.args, code, out, errs, c.want)
		}
	}
}
