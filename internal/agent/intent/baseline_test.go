package intent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/rules"
)

// TestBaselineEditable: the saved baseline is a file people edit; an
// executable added by hand is known after Load.
func TestBaselineEditable(t *testing.T) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	pod := &event.Pod{Namespace: "shop", Name: "web-1", Workload: "Deployment/web"}
	exec := func(b *Baselines, at time.Duration, path string) int {
		return len(b.Observe(&event.Event{Kind: event.Exec, Time: t0.Add(at), Path: path, Pod: pod}, nil))
	}
	b := NewBaselines(eng, time.Hour)
	exec(b, 0, "/usr/bin/web")
	if n := exec(b, 2*time.Hour, "/bin/sh"); n != 1 {
		t.Fatalf("novel exec after learning: %d alerts", n)
	}
	file := filepath.Join(t.TempDir(), "baselines.json")
	if err := b.Save(file); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	edited := strings.Replace(string(data), `"/usr/bin/web"`, `"/usr/bin/web", "/bin/sh"`, 1)
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	b2 := NewBaselines(eng, time.Hour)
	if err := b2.Load(file); err != nil {
		t.Fatal(err)
	}
	if n := exec(b2, 2*time.Hour, "/bin/sh"); n != 0 {
		t.Errorf("an executable added by hand still alerts")
	}
	if n := exec(b2, 2*time.Hour, "/usr/bin/curl"); n != 1 {
		t.Errorf("a novel executable after Load: %d alerts", n)
	}
}

// A misspelt field in the hand-edited file is an error, not an edit
// silently lost.
func TestBaselineMisspeltField(t *testing.T) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "baselines.json")
	if err := os.WriteFile(file, []byte(`{"shop/Deployment/web": {"since": "2026-01-01T00:00:00Z", "executable": ["/bin/sh"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewBaselines(eng, time.Hour).Load(file); err == nil || !strings.Contains(err.Error(), `"executable"`) {
		t.Errorf("misspelt field: %v", err)
	}
}
