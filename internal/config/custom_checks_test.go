package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCustomChecks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeward.yaml")
	abs := filepath.Join(t.TempDir(), "shared")
	body := "apiVersion: kubeward.dev/v1alpha1\nkind: Config\ncustomChecks: [checks/, " + abs + "]\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got := f.CustomCheckPaths()
	if len(got) != 2 || got[0] != filepath.Join(dir, "checks") || got[1] != abs {
		t.Fatalf("paths %q", got)
	}

	for _, tt := range []struct{ body, want string }{
		{"customChecks: [\"\"]", "customChecks[0]: empty path"},
		{"customCheck: [x]", "field customCheck not found"},
		{"customChecks: x", "cannot unmarshal"},
	} {
		_, err := Parse([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\n" + tt.body + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.body, err, tt.want)
		}
	}
}
