package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

func TestTableColor(t *testing.T) {
	o := testOptions()
	o.ShowSuppressed = true
	plain := string(render(t, "table", fixture(), o))
	if strings.Contains(plain, "\x1b") {
		t.Error("escape sequences in the table with Color off")
	}
	o.Color = true
	colored := string(render(t, "table", fixture(), o))
	for _, want := range []string{"\x1b[1;31mCRITICAL\x1b[0m", "\x1b[31mHIGH\x1b[0m", "\x1b[1;31mINCOMPLETE\x1b[0m"} {
		if !strings.Contains(colored, want) {
			t.Errorf("coloured table lacks %q", want)
		}
	}
	if stripANSI(colored) != plain {
		t.Error("the coloured table says something else than the plain one")
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			i += strings.IndexByte(s[i:], 'm')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Lines fit the width, except a single word (a long field path) that
// cannot be broken.
func TestTableWidth(t *testing.T) {
	for _, width := range []int{0, 72, 100, 140} {
		o := testOptions()
		o.ShowSuppressed, o.Color, o.Width = true, true, width
		limit := width
		if limit == 0 {
			limit = 100
		}
		for _, line := range strings.Split(string(render(t, "table", fixture(), o)), "\n") {
			if n := visibleLen(line); n > limit && len(strings.Fields(line)) > 1 {
				t.Errorf("width %d: line of %d columns: %q", width, n, stripANSI(line))
			}
		}
	}
}

func TestTableSuppressed(t *testing.T) {
	out := string(render(t, "table", fixture(), testOptions()))
	if strings.Contains(out, "StatefulSet/default/db") || strings.Contains(out, "node exporter") {
		t.Error("suppressed findings listed without ShowSuppressed")
	}
	if !strings.Contains(out, "2 suppressed (not listed)") {
		t.Error("the table does not count the hidden suppressed findings")
	}
	if !strings.Contains(out, "run-as-non-root: container \"app\" may run as root (suppression expired on 2024-01-31:") {
		t.Error("the finding with an expired suppression is not shown with its note")
	}
	o := testOptions()
	o.ShowSuppressed = true
	out = string(render(t, "table", fixture(), o))
	for _, want := range []string{"StatefulSet/default/db  deploy/db.yaml:40", "suppressed: node exporter reads /proc (until 2099-12-31; kubeward.yaml suppressions[0])"} {
		if !strings.Contains(out, want) {
			t.Errorf("with ShowSuppressed the table lacks %q", want)
		}
	}
}

// An expired suppression made outside the runner (whose message lacks the
// note) is still named.
func TestTableExpiredWithoutNote(t *testing.T) {
	f := finding("run-as-non-root", ref("v1", "Pod", "ns", "p"), inventory.Source{File: "p.yaml"}, "spec", 3, 1, "may run as root")
	f.Suppression = &check.SuppressionStatus{Reason: "old", Expires: "2020-01-01", Origin: "kubeward.yaml suppressions[1]", Expired: true}
	out := string(render(t, "table", &scan.Result{Findings: []check.Finding{f}}, testOptions()))
	if !strings.Contains(out, "suppression expired on 2020-01-01: old (kubeward.yaml suppressions[1])") {
		t.Errorf("expired suppression not named:\n%s", out)
	}
}

// Text from manifests cannot drive the terminal: escape sequences and
// bidirectional overrides are shown, not obeyed.
func TestTableHostileText(t *testing.T) {
	f := finding("privileged-container", ref("v1", "Pod", "ns", "evil\x1b[2J"), inventory.Source{File: "x\u202e.yaml"},
		"spec", 1, 1, "owned \x1b]0;title\x07 here\r\tend")
	res := &scan.Result{Findings: []check.Finding{f}, Problems: []diag.Problem{{Level: diag.Error, File: "y.yaml", Message: "bad \x1b[31m"}},
		Skipped: []diag.Skipped{{Path: "z\x1b.yaml", Reason: "binary"}}, Coverage: []scan.Gap{{ID: "c", Reason: "no\u009b", Partial: []string{"privileged-container"}, Objects: []string{"Pod/ns/evil\x1b[2J"}}}}
	for _, color := range []bool{false, true} {
		o := testOptions()
		o.Color = color
		out := stripANSI(string(render(t, "table", res, o)))
		for _, r := range out {
			if r != '\n' && unsafeRune(r) {
				t.Fatalf("color %v: raw control character %U in the table:\n%q", color, r, out)
			}
		}
		for _, want := range []string{`evil\x1b[2J`, `owned \x1b]0;title\x07 here\x0d end`, `x\u202e.yaml`, `bad \x1b[31m`, `z\x1b.yaml`, `no\x9b`} {
			if !strings.Contains(out, want) {
				t.Errorf("color %v: table lacks the escaped %q:\n%s", color, want, out)
			}
		}
	}
}

func TestTableSkippedList(t *testing.T) {
	res := &scan.Result{}
	for i := range 20 {
		res.Skipped = append(res.Skipped, diag.Skipped{Path: fmt.Sprintf("docs/%02d.md", i), Reason: "not a .yaml, .yml or .json file"})
	}
	res.Skipped = append(res.Skipped, diag.Skipped{Path: "bin/tool", Reason: "binary file, not YAML or JSON"})
	out := string(render(t, "table", res, testOptions()))
	for _, want := range []string{"Skipped inputs (21)", "not a .yaml, .yml or .json file (20): docs/00.md, docs/01.md, docs/02.md, docs/03.md, docs/04.md\n    and 15 more",
		"binary file, not YAML or JSON (1): bin/tool", "21 inputs skipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestTableGate(t *testing.T) {
	for _, tc := range []struct {
		failOn check.Severity
		want   string
	}{
		{check.SeverityUnknown, "Gate --fail-on none: findings do not fail the run."},
		{check.Critical, "Gate --fail-on critical: FAILED (2 findings at or above critical)."},
		{check.High, "Gate --fail-on high: FAILED (3 findings at or above high)."},
		{check.Info, "Gate --fail-on info: FAILED (6 findings at or above info)."},
	} {
		o := testOptions()
		o.FailOn = tc.failOn
		if out := string(render(t, "table", withoutInputErrors(fixture()), o)); !strings.Contains(out, tc.want) {
			t.Errorf("fail-on %v: table lacks %q", tc.failOn, tc.want)
		}
	}
	// Input errors: the run exits 2, and the table says so instead of
	// "passed" (it once said "Gate: passed" and the run exited 2).
	res := fixture()
	res.Findings = nil
	if out := stripANSI(string(render(t, "table", res, testOptions()))); !strings.Contains(out, "Gate --fail-on high: INCOMPLETE (2 input errors: not every input was read; the run exits 2).") ||
		strings.Contains(out, "passed") {
		t.Errorf("gate with input errors:\n%s", out)
	}
	// Only suppressed findings at the gate and no input error: it passes.
	res = withoutInputErrors(fixture())
	var kept []check.Finding
	for _, f := range res.Findings {
		if f.Suppressed() || f.Severity < check.High {
			kept = append(kept, f)
		}
	}
	res.Findings = kept
	if out := string(render(t, "table", res, testOptions())); !strings.Contains(out, "Gate --fail-on high: passed (no unsuppressed finding at or above high).") {
		t.Errorf("gate did not pass:\n%s", out)
	}
}

// withoutInputErrors keeps only the warnings among res's problems.
func withoutInputErrors(res *scan.Result) *scan.Result {
	var ps []diag.Problem
	for _, p := range res.Problems {
		if p.Level != diag.Error {
			ps = append(ps, p)
		}
	}
	res.Problems = ps
	return res
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, rest int
		want        []string
	}{
		{"short", 10, 10, []string{"short"}},
		{"aaa bbb ccc ddd", 7, 7, []string{"aaa bbb", "ccc ddd"}},
		{"aaa bbb ccc ddd", 7, 3, []string{"aaa bbb", "ccc", "ddd"}},
		{"a verylongwordthatdoesnotfit b", 5, 5, []string{"a", "verylongwordthatdoesnotfit", "b"}},
		{"ééé ééé", 3, 3, []string{"ééé", "ééé"}},
	} {
		if got := wrap(tc.in, tc.first, tc.rest); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", tc.in, tc.first, tc.rest, got, tc.want)
		}
	}
}

// FuzzClean checks that cleaned text never holds a control character other
// than a newline, and that wrapping keeps every word.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"plain", "a\x1b[31mb", "\u202eevil", "tab\there", "new\nline", "\xff\xfe", "\x9b1m"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		c := clean(s)
		for _, r := range c {
			if r != '\n' && unsafeRune(r) {
				t.Fatalf("clean(%q) = %q keeps %U", s, c, r)
			}
		}
		if !utf8.ValidString(s) {
			return
		}
		width = 1 + abs(width%200)
		for _, line := range strings.Split(c, "\n") {
			got := strings.Join(wrap(line, width, width), " ")
			if strings.Join(strings.Fields(line), " ") != got && visibleLen(line) > width {
				t.Fatalf("wrap(%q, %d) lost text: %q", line, width, got)
			}
		}
	})
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// The table states the coverage gate the exit code follows.
func TestTableFailOnIncomplete(t *testing.T) {
	o := testOptions()
	o.FailOnIncomplete = true
	out := string(render(t, "table", fixture(), o))
	if !strings.Contains(out, "Gate --fail-on-incomplete: FAILED (2 open coverage gaps;") {
		t.Errorf("no coverage gate line:\n%s", out)
	}
	out = string(render(t, "table", &scan.Result{}, o))
	if !strings.Contains(out, "Gate --fail-on-incomplete: passed (no open coverage gap).") {
		t.Errorf("no passed coverage gate line:\n%s", out)
	}
}
