package fix_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fix"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// TestCorpus fixes the real-world corpus (4,300 objects from public
// projects) into a copy: every planned change is written, and the copy
// scans clean of the fixed checks (a second run has nothing to do).
func TestCorpus(t *testing.T) {
	corpus := sharedtest.Dir(t, "corpus")
	checks, err := check.Select(check.All(), fix.Checks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	scanDir := func(dir string) (*scan.Result, map[string][]fix.Change) {
		e := scan.New(scan.Options{Checks: checks})
		res, inv, err := e.Files(loader.Default(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		p, refused := fix.Plan(res.Findings, fix.Own(inv))
		for _, r := range refused {
			t.Errorf("refused: %v", r)
		}
		return res, p
	}
	_, p := scanDir(corpus)
	if len(p) < 100 {
		t.Fatalf("only %d files to fix: the test proves little", len(p))
	}
	out := t.TempDir()
	changes := 0
	for file, cs := range p {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		fixed, results := fix.Patch(data, cs)
		for _, r := range results {
			if r.Err != nil {
				t.Errorf("%s: %v: %v", file, r.Change, r.Err)
			}
		}
		changes += len(results)
		rel, err := filepath.Rel(corpus, file)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, fixed, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, again := scanDir(out)
	for _, f := range res.Findings {
		t.Errorf("still found after the fix: %s %s %s", f.CheckID, f.Object, f.Path)
	}
	if len(again) > 0 {
		t.Errorf("a second run plans changes in %d files", len(again))
	}
	t.Logf("%d changes in %d files", changes, len(p))
}
