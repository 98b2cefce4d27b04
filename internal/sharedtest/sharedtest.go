// Package sharedtest finds the shared test data that CI places beside the
// repository (../shared: the real-world corpus and the quirks corpus).
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/sub beside the repository root, or $KUBEWARD_SHARED/sub.
// A missing directory fails the test: CI provides it, and a silently
// skipped corpus test would pass without checking anything.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	base := os.Getenv("KUBEWARD_SHARED")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				if _, err := os.Stat(filepath.Join(dir, "cmd", "kubeward")); err == nil {
					break
				}
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				tb.Fatal("sharedtest: repository root not found")
			}
			dir = parent
		}
		base = filepath.Join(filepath.Dir(dir), "shared")
	}
	p := filepath.Join(base, sub)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("%s: %v (tests expect ../shared beside the repository, or KUBEWARD_SHARED)", p, err)
	}
	return p
}
