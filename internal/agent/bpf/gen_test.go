package bpf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestObjectsCurrent regenerates the objects and their bindings with the
// go:generate line of gen.go and compares them with the committed ones.
// Building kubeward needs no clang, so where there is none the committed
// files cannot be checked and the test says so.
func TestObjectsCurrent(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("clang is not installed (.ci/run installs clang, llvm and libbpf-dev): the committed objects are unchecked")
		}
		t.Skip("clang is not installed: the committed objects cannot be regenerated here")
	}
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "//go:generate go tool bpf2go "); ok {
			args = strings.Fields(rest)
		}
	}
	if args == nil {
		t.Fatal("no bpf2go line in gen.go")
	}
	out := t.TempDir()
	cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-go-package", "bpf", "-output-dir", out}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, b)
	}
	for _, f := range []string{"kubeward_bpfel.go", "kubeward_bpfel.o"} {
		want, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what c/ compiles to: run go generate ./internal/agent/bpf", f)
		}
	}
}
