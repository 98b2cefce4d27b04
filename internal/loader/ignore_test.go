package loader

import (
	"os"
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

// FuzzIgnore: any ignore file and any path below it are judged without a
// panic, and a last line naming the path itself (anchored, no wildcard)
// always excludes it, whatever came before: the last pattern decides.
func FuzzIgnore(f *testing.F) {
	f.Add("legacy/\n*.tmpl.yaml\n!keep.tmpl.yaml\n", "deploy/keep.tmpl.yaml")
	f.Add("a/**/b.yaml\n**/tests/\n/only-root.yaml\n", "a/x/y/b.yaml")
	f.Add("\\#not-a-comment\n\\!bang\n  trailing  \n[a-z]*.y?ml\n", "#not-a-comment")
	f.Add("!*\n**\n***\n[\n]\n\\\n/\n//\n", "x/[/y")
	f.Add("# comment\r\n\r\nfoo\\ bar\r\n", "foo bar")
	f.Fuzz(func(t *testing.T, file, path string) {
		path = strings.Trim(filepath.ToSlash(filepath.Clean(path)), "/")
		if path == "." || !filepath.IsLocal(path) || strings.ContainsAny(path, "\x00\n\r") {
			return
		}
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, IgnoreFile), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		ig := newIgnorer(root, nil, "", "", func(string, string) {})
		ig.enter(root)
		full := filepath.Join(root, filepath.FromSlash(path))
		ig.match(full, false)
		ig.match(full, true)

		if strings.ContainsAny(path, "*?[]\\!# \t") {
			return
		}
		ig.add("/"+path, root, "last")
		if got := ig.match(full, false); got != "excluded by last" {
			t.Errorf("%q after %q: %q, want excluded by the last line", path, file, got)
		}
	})
}
