package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanFramework: --framework runs the framework's checks at its Pod
// Security level and reports each control, in JSON and the table, from the
// whole result even when a baseline hides old findings from the gate.
func TestScanFramework(t *testing.T) {
	dir := writeTree(t, map[string]string{"web.yaml": baselineWeb})
	out := filepath.Join(t.TempDir(), "r.json")
	code, table, stderr := runCLI(t, "scan", "--framework", "pss-restricted", "--fail-on", "none", "-o", "table", "-o", "json="+out, dir)
	if code != ExitClean {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(table, "Pod Security Standards: Restricted: score ") || !strings.Contains(table, "FAILED       3 Privileged Containers: Deployment/shop/web") {
		t.Errorf("table has no framework section:\n%s", table)
	}
	var r struct {
		Findings []struct {
			Check string `json:"check"`
		} `json:"findings"`
		Frameworks []struct {
			ID       string  `json:"id"`
			Score    float64 `json:"score"`
			Controls []struct {
				ID             string   `json:"id"`
				Status         string   `json:"status"`
				FailingObjects []string `json:"failingObjects"`
			} `json:"controls"`
		} `json:"frameworks"`
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Frameworks) != 1 || r.Frameworks[0].ID != "pss-restricted" || len(r.Frameworks[0].Controls) < 18 {
		t.Fatalf("frameworks: %+v", r.Frameworks)
	}
	status := map[string]string{}
	for _, c := range r.Frameworks[0].Controls {
		status[c.ID] = c.Status
	}
	// 3 privileged fails; 16 (a seccomp profile) fails only at the
	// restricted level, which the framework chose without --pss-level.
	if status["3"] != "failed" || status["16"] != "failed" || status["1"] != "passed" {
		t.Errorf("control statuses %v", status)
	}
	for _, f := range r.Findings {
		if !strings.HasPrefix(f.Check, "pss-") && f.Check != "namespace-pod-security-enforce" {
			t.Errorf("check %s ran, but pss-restricted does not name it", f.Check)
		}
	}

	// A baseline holding every finding empties the gate, not the framework.
	code, table, stderr = runCLI(t, "scan", "--framework", "pss-restricted", "--baseline", out, dir)
	if code != ExitClean || !strings.Contains(table, "FAILED       3 Privileged Containers") {
		t.Errorf("with the baseline: exit %d, %s\n%s", code, stderr, table)
	}

	for _, args := range [][]string{
		{"--framework", "nist"},
		{"--framework", "cis-1.12", "--checks", "pss-privileged"},
		{"--framework", "pss-restricted", "--pss-level", "baseline"},
		{"--framework", "pss-baseline", "--framework", "pss-restricted"},
	} {
		if code, _, stderr := runCLI(t, append(append([]string{"scan"}, args...), dir)...); code != ExitError || stderr == "" {
			t.Errorf("%v: exit %d, want a usage error (%s)", args, code, stderr)
		}
	}
}
