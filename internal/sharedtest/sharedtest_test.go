package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of stopping
// the goroutine, so Dir's outcome can be inspected.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestDirMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-shared")
	t.Setenv("KUBEWARD_SHARED", missing)

	t.Run("skips outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		r := &recorder{TB: t}
		if got := Dir(r, "corpus"); got != "" {
			t.Fatalf("Dir = %q, want empty", got)
		}
		if r.failed != "" || r.skipped == "" {
			t.Fatalf("want a skip and no failure; skipped=%q failed=%q", r.skipped, r.failed)
		}
		if strings.Contains(r.skipped, "\n") || !strings.Contains(r.skipped, missing) {
			t.Errorf("the reason must be one line naming the missing directory: %q", r.skipped)
		}
	})
	t.Run("fails in CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		r := &recorder{TB: t}
		Dir(r, "corpus")
		if r.failed == "" || r.skipped != "" {
			t.Fatalf("want a failure and no skip; skipped=%q failed=%q", r.skipped, r.failed)
		}
	})
}

func TestDirPresent(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "corpus"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBEWARD_SHARED", base)
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	if got := Dir(r, "corpus"); got != filepath.Join(base, "corpus") || r.failed != "" || r.skipped != "" {
		t.Fatalf("Dir = %q (skipped=%q failed=%q)", got, r.skipped, r.failed)
	}
	// A file where the directory should be is as good as missing.
	if err := os.WriteFile(filepath.Join(base, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	Dir(r, "file")
	if r.failed == "" {
		t.Fatal("a regular file must not pass for the shared directory")
	}
}

// TestLocateBesideRepository covers the default: ../shared beside the
// repository root found from the working directory.
func TestLocateBesideRepository(t *testing.T) {
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	for _, d := range []string{filepath.Join(repo, "cmd", "kubeward"), filepath.Join(repo, "internal", "x"), filepath.Join(top, "shared", "corpus")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	wd := func() (string, error) { return filepath.Join(repo, "internal", "x"), nil }
	p, err := locate("corpus", getenv, wd)
	if err != nil || p != filepath.Join(top, "shared", "corpus") {
		t.Fatalf("locate = %q, %v", p, err)
	}
	if _, err := locate("corpus-quirks", getenv, wd); err == nil {
		t.Fatal("a missing subdirectory must be an error")
	}
	if _, err := locate("corpus", getenv, func() (string, error) { return top, nil }); err == nil {
		t.Fatal("outside the repository there is no ../shared to find")
	}
}

func TestModulePath(t *testing.T) {
	p := ModulePath(t, "github.com/openvex/go-vex", "pkg", "vex", "vex.go")
	if !strings.HasSuffix(p, filepath.Join("pkg", "vex", "vex.go")) {
		t.Fatalf("ModulePath = %q", p)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	// A path the module does not hold fails; it is never skipped.
	r := &recorder{TB: t}
	ModulePath(r, "github.com/openvex/go-vex", "no-such-testdata")
	if r.failed == "" || r.skipped != "" {
		t.Fatalf("missing path: failed %q, skipped %q", r.failed, r.skipped)
	}
}
