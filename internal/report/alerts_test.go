package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

func TestAlertTable(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	alerts := []detect.Alert{
		{Rule: "secret-read", Severity: check.Medium, Message: "secret dev/db read", User: "alice", Time: at, Count: 2, Source: "audit.log:2"},
		// Everything in an alert comes from the log: an escape sequence in
		// a user name must not reach the terminal.
		{Rule: "privileged-pod", Severity: check.High, Message: "privileged container in pod dev/p", User: "mallory\x1b[2J", SourceIPs: []string{"10.0.0.1"},
			Time: at, Count: 1, Source: "audit.log:1", Fix: "Drop privileged."},
	}
	var b bytes.Buffer
	if err := AlertTable(&b, alerts, AlertRun{Dropped: 4}, Options{FailOn: check.High}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsRune(out, 0x1b) || !strings.Contains(out, `mallory\x1b[2J`) {
		t.Errorf("control characters not escaped:\n%q", out)
	}
	if strings.Index(out, "HIGH") > strings.Index(out, "MEDIUM") {
		t.Errorf("most severe first:\n%s", out)
	}
	for _, want := range []string{"secret-read: secret dev/db read (2 times)", "by alice at 2026-03-01T12:00:00Z (audit.log:2)",
		"from 10.0.0.1", "fix: Drop privileged.", "3 alerts (1 high, 2 medium).", "4 alerts more not listed",
		"Gate --fail-on high: FAILED (1 alert at or above high)."} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		run  AlertRun
		o    Options
		want string
	}{
		{AlertRun{}, Options{}, "No alerts.\nGate --fail-on none: alerts do not fail the run.\n"},
		{AlertRun{}, Options{FailOn: check.High}, "No alerts.\nGate --fail-on high: passed (no alert at or above high).\n"},
		// The run exits 2: the table must not say passed.
		{AlertRun{InputErrors: 1}, Options{FailOn: check.High}, "No alerts.\nGate --fail-on high: INCOMPLETE (1 input error: not every input was read; the run exits 2).\n"},
	} {
		b.Reset()
		if err := AlertTable(&b, nil, tc.run, tc.o); err != nil || b.String() != tc.want {
			t.Errorf("%+v: %q %v", tc.run, b.String(), err)
		}
	}
}
