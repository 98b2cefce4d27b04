package rules

import (
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.Title == "" || r.Fires == "" || r.Fix == "" || len(r.Reads) == 0 || len(r.MITRE) == 0 {
			t.Errorf("rule %q: duplicate or incomplete", r.ID)
		}
		seen[r.ID] = true
	}
}

// TestEngine: only container events are judged; an exception silences
// its rule for the workload it names until it expires; command lines are
// redacted.
func TestEngine(t *testing.T) {
	now := time.Now()
	o := DefaultOptions()
	o.Exceptions = []Exception{
		{Rule: "package-manager-in-container", Workloads: detect.Patterns{"Deployment/build*"}, Reason: "builds", Expires: now.Add(time.Hour)},
		{Rule: "package-manager-in-container", Workloads: detect.Patterns{"Deployment/old"}, Reason: "gone", Expires: now.Add(-time.Hour)},
	}
	e, err := NewEngine(o)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(pod *event.Pod) []detect.Alert {
		ev := event.Event{Time: now, Kind: event.Exec, PID: 7, Path: "/usr/bin/apt-get", Args: []string{"apt-get", "install", "--password=hunter2", "x"}, Pod: pod}
		return e.Process(&ev, nil)
	}
	if a := exec(nil); len(a) != 0 {
		t.Errorf("host process judged: %v", a)
	}
	if a := exec(&event.Pod{Namespace: "ci", Name: "build-1", Workload: "Deployment/builder"}); len(a) != 0 {
		t.Errorf("excepted workload alerted: %v", a)
	}
	a := exec(&event.Pod{Namespace: "ci", Name: "old-1", Workload: "Deployment/old", Container: "c"})
	if len(a) != 1 || a[0].Rule != "package-manager-in-container" {
		t.Fatalf("expired exception still silences: %v", a)
	}
	if got := a[0].Process.Args; len(got) != 4 || got[2] == "--password=hunter2" {
		t.Errorf("args not redacted: %q", got)
	}
	if a[0].Object == nil || a[0].Object.Name != "old-1" || a[0].Identity() != "Deployment/old" {
		t.Errorf("alert %+v", a[0])
	}
	if e.Excepted["package-manager-in-container"] != 1 {
		t.Errorf("excepted %v", e.Excepted)
	}
}
