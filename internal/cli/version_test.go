package cli

import (
	"strings"
	"testing"
)

// TestVersionFlag: --version on the root command prints what the version
// command prints, and exits 0.
func TestVersionFlag(t *testing.T) {
	code, flag, _ := runCLI(t, "--version")
	_, cmd, _ := runCLI(t, "version")
	if code != ExitClean || flag != cmd || !strings.HasPrefix(flag, "kubeward ") {
		t.Errorf("--version: exit %d, %q; version: %q", code, flag, cmd)
	}
}
