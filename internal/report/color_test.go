package report

import (
	"os"
	"path/filepath"
	"testing"
)

func TestColorEnabledRules(t *testing.T) {
	for _, tc := range []struct {
		terminal bool
		env      map[string]string
		want     bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"NO_COLOR": "0"}, false}, // any non-empty value
		{true, map[string]string{"NO_COLOR": ""}, true},   // empty means unset
		{true, map[string]string{"TERM": "dumb"}, false},
		{true, map[string]string{"TERM": "xterm-256color"}, true},
		{false, map[string]string{"TERM": "xterm-256color"}, false},
	} {
		getenv := func(k string) string { return tc.env[k] }
		if got := colorEnabled(tc.terminal, getenv); got != tc.want {
			t.Errorf("terminal %v, env %v: got %v, want %v", tc.terminal, tc.env, got, tc.want)
		}
	}
}

func TestColorEnabledNotATerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ColorEnabled(f) {
		t.Error("colour enabled for a regular file")
	}
	if ColorEnabled(nil) {
		t.Error("colour enabled for no file")
	}
}
