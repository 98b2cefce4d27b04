package kubetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BuildKubeward builds the kubeward binary as the image builds it (without
// kustomize's Go plugin loader) into a temporary directory and returns its
// path, for the benchmarks that measure kubeward in its own process, as
// users run it.
func BuildKubeward(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "kubeward")
	cmd := exec.Command("go", "build", "-tags", "kustomize_disable_go_plugin_support", "-o", bin, "github.com/kubeward/kubeward/cmd/kubeward")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ProcStatusMiB reads a kB field of /proc/PID/status (VmRSS, VmHWM,
// RssAnon, RssFile) in MiB.
func ProcStatusMiB(tb testing.TB, pid int, field string) float64 {
	tb.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb / 1024
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
