package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
)

const imagePod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: ghcr.io/acme/app:1
`

// Without registry access the image checks do not run and the coverage
// says so; with it they read the facts the registries gave.
func TestImageChecksNeedRegistryAccess(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(imagePod), 0o600); err != nil {
		t.Fatal(err)
	}
	c, ok := check.Get("image-unverified")
	if !ok {
		t.Fatal("image-unverified is not registered")
	}
	scan := func(opts Options) *Result {
		t.Helper()
		opts.Checks = []*check.Check{c}
		res, _, err := New(opts).Files(loader.Default(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	opts := check.DefaultOptions()
	if res := scan(Options{CheckOptions: opts}); len(res.Coverage) != 0 {
		t.Fatalf("without image policies there is nothing to miss: coverage %+v", res.Coverage)
	}
	opts.ImagePolicies = true
	res := scan(Options{CheckOptions: opts})
	if len(res.Findings) != 0 || len(res.Coverage) != 1 || res.Coverage[0].ID != GapRegistryAccess || len(res.Coverage[0].NotRun) != 1 || res.Coverage[0].NotRun[0] != c.ID {
		t.Fatalf("without --images: findings %+v, coverage %+v", res.Findings, res.Coverage)
	}
	var asked []string
	resolve := func(inv *inventory.Inventory) *facts.Set {
		s := facts.NewSet()
		for _, p := range inv.Pods() {
			for _, ct := range p.Spec.Containers {
				asked = append(asked, ct.Image)
				s.Add(ct.Image, &facts.Facts{Name: "ghcr.io/acme/app", Error: "registry ghcr.io is unreachable"})
			}
		}
		return s
	}
	res = scan(Options{CheckOptions: opts, Images: resolve})
	if len(asked) != 1 || len(res.Coverage) != 0 || len(res.Findings) != 1 || res.Findings[0].Position.Line != 7 {
		t.Fatalf("with --images: asked %v, findings %+v, coverage %+v", asked, res.Findings, res.Coverage)
	}
}
