package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/manifest"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.yaml"), "kind: b")
	write(t, filepath.Join(dir, "a", "c.yml"), "kind: c")
	write(t, filepath.Join(dir, "a", "d.json"), "{}")
	write(t, filepath.Join(dir, "README.md"), "# hi")
	write(t, filepath.Join(dir, ".git", "config.yaml"), "kind: git")
	write(t, filepath.Join(dir, "bin.yaml"), "apiVersion\x00\x01")
	if err := os.Symlink(dir, filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "secret.yaml")
	write(t, unreadable, "kind: x")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	log := &diag.Log{}
	var got []string
	(&Files{Log: log}).Walk([]string{dir, filepath.Join(dir, "nope")}, func(in manifest.Input) {
		got = append(got, strings.TrimPrefix(in.Name, filepath.ToSlash(dir)+"/"))
		if in.Reread == nil {
			t.Errorf("%s: files must be re-readable", in.Name)
		}
	})
	want := []string{"a/c.yml", "a/d.json", "b.yaml"}
	if os.Geteuid() == 0 {
		want = append(want, "secret.yaml") // root reads mode-000 files
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("walked %v, want %v", got, want)
	}
	reasons := map[string]string{}
	for _, s := range log.Skipped() {
		reasons[strings.TrimPrefix(s.Path, filepath.ToSlash(dir)+"/")] = s.Reason
	}
	for path, reason := range map[string]string{
		"README.md":     "not a .yaml",
		"bin.yaml":      "binary",
		"a/loop":        "already scanned",
		"dangling.yaml": "broken symbolic link",
	} {
		if !strings.Contains(reasons[path], reason) {
			t.Errorf("skipped[%s] = %q, want %q (all: %v)", path, reasons[path], reason, reasons)
		}
	}
	if _, ok := reasons[".git/config.yaml"]; ok {
		t.Error(".git was walked")
	}
	problems := log.Problems()
	if len(problems) == 0 || !strings.Contains(problems[len(problems)-1].String(), "nope") {
		t.Errorf("problems = %v, want the missing path reported", problems)
	}
}

func TestStdinAndLimits(t *testing.T) {
	log := &diag.Log{}
	var got []manifest.Input
	f := &Files{Log: log, Stdin: strings.NewReader("apiVersion: v1\nkind: Namespace\n"), MaxFileBytes: 64}
	f.Walk([]string{"-"}, func(in manifest.Input) { got = append(got, in) })
	if len(got) != 1 || got[0].Name != "-" {
		t.Fatalf("stdin inputs = %+v", got)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	write(t, big, strings.Repeat("a", 100))
	f.Walk([]string{big}, func(manifest.Input) { t.Error("read a file over the limit") })
	if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, "larger than the limit") {
		t.Errorf("problems = %v", p)
	}
}
