package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredOutsideTheGate: findings in paths.vendored and in a chart's
// dependencies are listed apart and pass the gate, unless --gate-vendored.
func TestVendoredOutsideTheGate(t *testing.T) {
	bad := "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: [{name: c, image: \"x:1\", securityContext: {privileged: true}}]}\n"
	dir := writeTree(t, map[string]string{
		".git/HEAD":                           "ref: refs/heads/main\n",
		".kubeward.yaml":                      "apiVersion: kubeward.dev/v1alpha1\nkind: Config\npaths:\n  vendored: [\"third_party/\"]\n",
		"deploy/app.yaml":                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
		"third_party/operator.yaml":           strings.Replace(bad, "%s", "operator", 1),
		"chart/Chart.yaml":                    "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
		"chart/templates/cm.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: own}\n",
		"chart/charts/agent/Chart.yaml":       "apiVersion: v2\nname: agent\nversion: 1.0.0\n",
		"chart/charts/agent/templates/p.yaml": strings.Replace(bad, "%s", "agent", 1),
	})
	t.Chdir(dir)
	code, out, errs := runCLI(t, "scan", ".", "--checks", "pss-privileged")
	if code != ExitClean || !strings.Contains(out, "Vendored code: 2 findings outside the gate") {
		t.Errorf("scan: exit %d, stderr %q:\n%s\nwant both findings listed apart and the gate passed", code, errs, out)
	}
	if code, out, _ := runCLI(t, "scan", ".", "--checks", "pss-privileged", "--gate-vendored"); code != ExitFindings {
		t.Errorf("--gate-vendored: exit %d, want %d:\n%s", code, ExitFindings, out)
	}
	// The chart alone: its dependency is vendored by default.
	t.Chdir(filepath.Join(dir, "chart"))
	if code, out, _ := runCLI(t, "scan", ".", "--checks", "pss-privileged"); code != ExitClean || !strings.Contains(out, "Vendored code: 1 finding") {
		t.Errorf("chart alone: exit %d:\n%s", code, out)
	}
}
