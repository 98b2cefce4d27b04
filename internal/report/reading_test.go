package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

var compactLineRE = regexp.MustCompile(`^(\S+) (critical|high|medium|low|info|error|warning) (\S+) (.+)$`)

func TestCompact(t *testing.T) {
	res := fixture()
	// A hostile message: an escape sequence and a line break.
	evil := finding("host-network", ref("v1", "Pod", "default", "evil"), inventory.Source{File: "evil.yaml", Line: 1},
		"spec.hostNetwork", 7, 3, "evil\x1b[2J\nsecond line")
	res.Findings = append(res.Findings, evil)
	out := string(render(t, "compact", res, testOptions()))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	open := 0
	for i := range res.Findings {
		if !res.Findings[i].Suppressed() {
			open++
		}
	}
	if want := open + len(res.Problems); len(lines) != want {
		t.Fatalf("%d lines, want %d (one per open finding and input problem):\n%s", len(lines), want, out)
	}
	for _, l := range lines {
		if !compactLineRE.MatchString(l) {
			t.Errorf("not file:line:col severity check message: %q", l)
		}
	}
	for _, want := range []string{
		"deploy/web.yaml:24:23 critical privileged-container container \"app\" runs privileged",
		"charts/grafana/templates/deployment.yaml:18:7 high host-network pod shares the host's network namespace",
		"ClusterRoleBinding/ci-admin critical example-unregistered-binding binds cluster-admin to ServiceAccount ci/deployer",
		"deploy/broken.yaml:3:5 error input mapping values are not allowed in this context",
		`evil.yaml:7:3 high host-network evil\x1b[2J second line`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("compact output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "node exporter") {
		t.Error("a suppressed finding is listed without ShowSuppressed")
	}
	o := testOptions()
	o.ShowSuppressed = true
	if out := string(render(t, "compact", res, o)); !strings.Contains(out, "[suppressed: node exporter reads /proc]") {
		t.Errorf("ShowSuppressed does not list suppressed findings as such:\n%s", out)
	}
}

// --severity hides what is below it from the human formats, not from the
// counts or the gate.
func TestSeverityFilter(t *testing.T) {
	o := testOptions()
	o.Severity = check.High
	for _, format := range []string{"table", "compact", "markdown"} {
		out := string(render(t, format, fixture(), o))
		for _, hidden := range []string{"image-tag-latest", "read-only-root-filesystem: container", "nginx:latest"} {
			if strings.Contains(out, hidden) && !(format != "compact" && hidden == "image-tag-latest") {
				t.Errorf("%s: %q is below --severity high but listed", format, hidden)
			}
		}
		if !strings.Contains(out, "privileged-container") {
			t.Errorf("%s: the critical finding is not listed", format)
		}
	}
	table := string(render(t, "table", fixture(), o))
	for _, want := range []string{"6 findings (2 critical, 1 high, 1 medium, 1 low, 1 info)",
		"3 findings below --severity high not listed", "and 3\n  findings at or above high"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if code := Summarize(fixture(), o).ExitCode(); code != Summarize(fixture(), testOptions()).ExitCode() {
		t.Error("--severity changed the exit code")
	}
}

func TestTableByCheck(t *testing.T) {
	out := string(render(t, "table", fixture(), testOptions()))
	sec := out[strings.Index(out, "Findings by check"):]
	for _, want := range []string{
		"Findings by check (6)",
		"CRITICAL example-unregistered-binding  1 finding on 1 object",
		"LOW      read-only-root-filesystem     1 finding on 1 object",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("summary by check lacks %q:\n%s", want, sec)
		}
	}
	// Critical checks come first.
	if strings.Index(sec, "privileged-container") > strings.Index(sec, "host-network") {
		t.Errorf("checks not ordered by severity:\n%s", sec)
	}
}

// In long outputs each fix is printed once, in the summary by check; a
// finding with a fix of its own still shows it.
func TestTableFixOncePerCheck(t *testing.T) {
	res := manyFindings(200)
	res.Findings[3].Fix = "A fix only this finding has."
	out := strings.Join(strings.Fields(string(render(t, "table", res, testOptions()))), " ")
	for _, c := range testChecks {
		if n := strings.Count(out, "fix: "+c.Fix); n != 1 && strings.Contains(out, c.ID) {
			t.Errorf("fix of %s printed %d times", c.ID, n)
		}
	}
	if !strings.Contains(out, "fix: A fix only this finding has.") || strings.Count(out, "fix: ") != len(testChecks)+1 {
		t.Error("a finding's own fix is not shown")
	}
	// A short output keeps the fix under each finding.
	short := string(render(t, "table", fixture(), testOptions()))
	if n := strings.Count(short, "fix: "); n != 6 {
		t.Errorf("short table: %d fixes, want one under each of the 6 open findings", n)
	}
}

func TestMarkdownLimit(t *testing.T) {
	res := manyFindings(20000)
	res.Findings[5].Message = "<script>alert(1)</script> | @admins ping `code` *bold*\nnext"
	res.Findings[5].Severity = check.Critical
	res.Findings[5].Suppression = nil
	out := string(render(t, "markdown", res, testOptions()))
	if len(out) > MarkdownLimit {
		t.Fatalf("%d bytes, over GitHub's %d", len(out), MarkdownLimit)
	}
	if len(out) < MarkdownLimit*3/4 {
		t.Errorf("only %d bytes used of %d: the report should fill the comment", len(out), MarkdownLimit)
	}
	rows := 0
	var last string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| CRITICAL ") || strings.HasPrefix(l, "| HIGH ") || strings.HasPrefix(l, "| MEDIUM ") ||
			strings.HasPrefix(l, "| LOW ") || strings.HasPrefix(l, "| INFO ") {
			sev := strings.Fields(l)[1]
			if last != "" && rank(sev) > rank(last) {
				t.Fatalf("%s after %s: not the most severe first", sev, last)
			}
			last = sev
			rows++
		}
	}
	if rows < 50 {
		t.Errorf("only %d findings listed", rows)
	}
	if !regexp.MustCompile(`\d+ more findings not shown`).MatchString(out) {
		t.Error("the findings left out are not counted")
	}
	for _, bad := range []string{"<script>", "| @admins", "@admins", "\nnext"} {
		if strings.Contains(out, bad) {
			t.Errorf("input text not escaped: %q found", bad)
		}
	}
	if !strings.Contains(out, `&lt;script&gt;alert(1)&lt;/script&gt; \| @`+"\u200b"+`admins`) {
		t.Error("the hostile message is not shown escaped")
	}
	for _, c := range testChecks {
		if n := strings.Count(out, c.Fix[:20]); n > 1 {
			t.Errorf("fix of %s printed %d times", c.ID, n)
		}
	}
	if !strings.Contains(out, "## kubeward: INCOMPLETE (200 input errors") {
		t.Errorf("no verdict:\n%s", out[:200])
	}
}

func rank(sev string) int {
	s, _ := check.ParseSeverity(sev)
	return int(s)
}

func TestMdCode(t *testing.T) {
	for in, want := range map[string]string{
		"plain":   "`plain`",
		"a`b":     "`` a`b ``",
		"x|y":     "`x\\|y`",
		"two\nln": "`two ln`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}
