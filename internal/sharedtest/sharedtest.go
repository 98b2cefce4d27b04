// Package sharedtest finds the shared test data that CI places beside the
// repository (../shared: the real-world corpus and the quirks corpus).
package sharedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/sub beside the repository root, or $KUBEWARD_SHARED/sub.
//
// When the directory is missing, the test is skipped with a one-line reason
// on a developer's machine (a fresh clone has no ../shared), and fails when
// $CI is set: CI always provides it, and a corpus test skipped there would
// count as passed without checking anything.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	p, err := locate(sub, os.Getenv, os.Getwd)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%v (CI must provide the shared data)", err)
		return ""
	}
	tb.Skipf("%v; skipped outside CI", err)
	return ""
}

// locate finds the directory, or says in one line why it cannot.
func locate(sub string, getenv func(string) string, getwd func() (string, error)) (string, error) {
	base := getenv("KUBEWARD_SHARED")
	if base == "" {
		dir, err := getwd()
		if err != nil {
			return "", fmt.Errorf("sharedtest: %w", err)
		}
		root, ok := repoRoot(dir)
		if !ok {
			return "", fmt.Errorf("sharedtest: no repository root above %s to find ../shared beside", dir)
		}
		base = filepath.Join(filepath.Dir(root), "shared")
	}
	p := filepath.Join(base, sub)
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		return "", fmt.Errorf("shared test data %s is missing (put ../shared beside the repository or set KUBEWARD_SHARED)", p)
	}
	return p, nil
}

// repoRoot walks up from dir to kubeward's module root.
func repoRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "cmd", "kubeward")); err == nil {
				return dir, true
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
