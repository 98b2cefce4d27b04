package sharedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ModulePath is rel inside a dependency's source, as the build resolved the
// module (`go list -m`): its own testdata, fixtures and manifests, which
// tests compare kubeward with. A path that is missing fails the test (the
// module's layout changed): such a test never passes by not running.
func ModulePath(tb testing.TB, module string, rel ...string) string {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		tb.Fatalf("locating module %s: %v", module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		tb.Fatalf("module %s has no source directory (not downloaded?)", module)
	}
	p := filepath.Join(append([]string{dir}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("module %s: %v (its layout changed?)", module, err)
	}
	return p
}
