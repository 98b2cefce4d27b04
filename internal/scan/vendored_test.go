package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/workload"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVendoredChartDependency: the templates of a chart's dependency
// (charts/NAME/) are vendored, the chart's own are not; so is a path the
// configuration names, and a repository's own charts/ directory is not.
func TestVendoredChartDependency(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"app/Chart.yaml":                      "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"app/templates/pod.yaml":              "apiVersion: v1\nkind: Pod\nmetadata: {name: own}\nspec: {containers: [{name: c, image: x}]}\n",
		"app/charts/redis/Chart.yaml":         "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
		"app/charts/redis/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: dep}\nspec: {containers: [{name: c, image: x}]}\n",
		"upstream/bundle.yaml":                "apiVersion: v1\nkind: Pod\nmetadata: {name: upstream}\nspec: {containers: [{name: c, image: x}]}\n",
		"charts/mine/templates/pod.yaml":      "apiVersion: v1\nkind: Pod\nmetadata: {name: mine}\nspec: {containers: [{name: c, image: x}]}\n",
	})
	v, err := NewVendored([]string{"upstream/"}, root)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{Checks: []*check.Check{workload.ReadOnlyRootFilesystem}, Vendored: v})
	res, _, err := e.Files(loader.Default(), []string{filepath.Join(root, "app"), filepath.Join(root, "upstream"), filepath.Join(root, "charts", "mine", "templates")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range res.Findings {
		got[f.Object.Name] = f.Vendored
	}
	want := map[string]bool{"own": false, "dep": true, "upstream": true, "mine": false}
	for name, vendored := range want {
		if g, ok := got[name]; !ok || g != vendored {
			t.Errorf("%s: found %v, vendored %v; want vendored %v", name, ok, g, vendored)
		}
	}
	// Without configuration, the default alone.
	if (*Vendored)(nil).Is(inventory.Source{File: filepath.Join(root, "upstream", "bundle.yaml")}) {
		t.Error("a path no configuration names is vendored")
	}
}
