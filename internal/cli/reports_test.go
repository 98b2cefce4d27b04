package cli

import (
	"strings"
	"testing"
)

// The reading aids of scan: --severity lists less without changing the
// gate, compact is one line per finding, markdown fits a comment.
func TestScanReadingOutputs(t *testing.T) {
	code, all, _ := runCLI(t, "scan", examples("insecure"), "-o", "compact")
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	code, high, _ := runCLI(t, "scan", examples("insecure"), "-o", "compact", "--severity", "high")
	if code != ExitFindings {
		t.Errorf("--severity changed the exit code to %d", code)
	}
	lines := strings.Split(strings.TrimSpace(high), "\n")
	if len(lines) == 0 || len(lines) >= strings.Count(all, "\n") {
		t.Fatalf("--severity high listed %d of %d lines", len(lines), strings.Count(all, "\n"))
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 4 || (f[1] != "high" && f[1] != "critical") || !strings.Contains(f[0], ".yaml:") {
			t.Errorf("not a file:line:col high|critical check message line: %q", l)
		}
	}
	if code, _, stderr := runCLI(t, "scan", examples("insecure"), "--severity", "severe"); code != ExitError || !strings.Contains(stderr, "--severity") {
		t.Errorf("a bad --severity: exit %d, %s", code, stderr)
	}
	code, md, _ := runCLI(t, "scan", examples("insecure"), "-o", "markdown")
	if code != ExitFindings || !strings.HasPrefix(md, "## kubeward: FAILED") || !strings.Contains(md, "### Findings by check") {
		t.Errorf("markdown: exit %d\n%s", code, md)
	}
	code, table, _ := runCLI(t, "scan", examples("insecure"))
	if code != ExitFindings || !strings.Contains(table, "Findings by check (") {
		t.Errorf("the table has no summary by check:\n%s", table)
	}
}
