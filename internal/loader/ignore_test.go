package loader

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
)

// TestIgnore: .kubewardignore files and the configuration's exclusions
// leave paths out with gitignore semantics, each skip naming the pattern
// that decided it.
func TestIgnore(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{
		"deploy/web.yaml", "deploy/legacy/old.yaml", "deploy/web.tmpl.yaml", "deploy/keep.tmpl.yaml",
		"a/b.yaml", "a/x/y/b.yaml", "tests/t.yaml", "sub/tests/t.yaml", "only-root.yaml", "sub/only-root.yaml",
		"sub/local.yaml", "generated/g.yaml",
	} {
		write(t, filepath.Join(root, f), cm(strings.NewReplacer("/", "-", ".", "-").Replace(f)))
	}
	write(t, filepath.Join(root, IgnoreFile), strings.Join([]string{
		"# comments and blank lines are not patterns",
		"",
		"legacy/",
		"*.tmpl.yaml",
		"!keep.tmpl.yaml",
		"a/**/b.yaml",
		"**/tests/",
		"/only-root.yaml",
	}, "\n"))
	write(t, filepath.Join(root, "sub", IgnoreFile), "local.yaml\n")
	l, err := New(Options{IgnoreRoot: root, Exclude: []string{"generated/"}, ExcludeBase: root, ExcludeOrigin: "kubeward.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	got, log, err := load(t, l, root)
	if err != nil {
		t.Fatal(err)
	}
	want := "deploy/keep.tmpl.yaml deploy-keep-tmpl-yaml,deploy/web.yaml deploy-web-yaml,sub/only-root.yaml sub-only-root-yaml"
	if rel(root, got) != want {
		t.Errorf("loaded %s\nwant   %s", rel(root, got), want)
	}
	reasons := map[string]string{}
	for _, s := range log.Skipped() {
		reasons[strings.TrimPrefix(s.Path, filepath.ToSlash(root)+"/")] = s.Reason
	}
	for path, reason := range map[string]string{
		"deploy/legacy":        IgnoreFile + ":3 (legacy/)",
		"deploy/web.tmpl.yaml": IgnoreFile + ":4 (*.tmpl.yaml)",
		"a/b.yaml":             ":6 (a/**/b.yaml)",
		"a/x/y/b.yaml":         ":6 (a/**/b.yaml)",
		"tests":                ":7 (**/tests/)",
		"sub/tests":            ":7 (**/tests/)",
		"only-root.yaml":       ":8 (/only-root.yaml)",
		"sub/local.yaml":       "sub/" + IgnoreFile + ":1 (local.yaml)",
		"generated":            "kubeward.yaml paths.exclude[0] (generated/)",
	} {
		if !strings.HasPrefix(reasons[path], "excluded by ") || !strings.Contains(reasons[path], reason) {
			t.Errorf("skipped[%s] = %q, want %q", path, reasons[path], reason)
		}
	}

	// A path named below the root is judged by the ignore files above it.
	got, log, err = load(t, l, filepath.Join(root, "deploy"), filepath.Join(root, "sub", "local.yaml"))
	if len(got) != 2 || err != nil {
		t.Errorf("named paths: %v, %v", got, err)
	}
	if p := log.Problems(); len(p) != 1 || p[0].Level != diag.Error || !strings.Contains(p[0].Message, "no Kubernetes object in") {
		t.Errorf("an excluded path named alone holds nothing to judge: %v", p)
	}
}
