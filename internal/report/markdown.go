package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/scan"
)

// MarkdownLimit is the most bytes Markdown writes: GitHub refuses a pull
// request comment longer than 65,536 characters, and a character is at
// least a byte.
const MarkdownLimit = 65536

// markdownProblems is the number of input problems Markdown lists.
const markdownProblems = 10

// Markdown writes a report for a pull-request comment: the gate's verdict,
// counts by severity, findings by check, then the findings themselves, the
// most severe first, each check's fix once, and as many findings as fit in
// MarkdownLimit; what did not fit is counted, never silently dropped. Text
// from the input is escaped: it cannot format the comment, mention people
// or inject HTML.
func Markdown(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	s := Summarize(res, o)
	var head strings.Builder
	head.WriteString("## kubeward: " + markdownVerdict(s) + "\n\n")
	head.WriteString(markdownCounts(s) + "\n")

	groups := groupByCheck(res.Findings, o)
	if len(groups) > 0 {
		head.WriteString("\n### Findings by check\n\n| Severity | Check | Findings | Objects |\n| --- | --- | ---: | ---: |\n")
		for _, g := range groups {
			fmt.Fprintf(&head, "| %s | %s %s | %d | %d |\n", g.Severity, mdCode(g.ID), mdText(g.Title), g.Open, g.Objects)
		}
	}
	head.WriteString(markdownFrameworks(o.Frameworks))
	if probs := markdownProblemList(res.Problems); probs != "" {
		head.WriteString(probs)
	}

	// The findings, most severe first; the file order within a severity.
	var top []*check.Finding
	for i := range res.Findings {
		if f := &res.Findings[i]; listed(f, o) {
			top = append(top, f)
		}
	}
	sort.SliceStable(top, func(i, j int) bool {
		if a, b := top[i].Suppressed(), top[j].Suppressed(); a != b {
			return !a
		}
		return top[i].Severity > top[j].Severity
	})
	const tableHead = "\n### Findings\n\n| Severity | Check | Object | Where | Message |\n| --- | --- | --- | --- | --- |\n"
	const fixHead = "\n<details><summary>How to fix</summary>\n\n"
	const fixTail = "\n</details>\n"
	// Room for the closing note, whatever the numbers in it.
	const reserve = 400
	budget := MarkdownLimit - head.Len() - reserve
	var rows, fixes strings.Builder
	fixed := map[string]bool{}
	shown := 0
	for _, f := range top {
		row := markdownRow(f)
		fix := ""
		if !fixed[f.CheckID] && f.Fix != "" && !f.Suppressed() {
			fix = "- " + mdCode(f.CheckID) + ": " + mdText(f.Fix) + "\n"
		}
		need := rows.Len() + len(row) + fixes.Len() + len(fix) + len(fixHead) + len(fixTail)
		if shown == 0 {
			need += len(tableHead)
		}
		if need > budget {
			break
		}
		rows.WriteString(row)
		if fix != "" {
			fixed[f.CheckID] = true
			fixes.WriteString(fix)
		}
		shown++
	}

	var b strings.Builder
	b.WriteString(head.String())
	if shown > 0 {
		b.WriteString(tableHead)
		b.WriteString(rows.String())
	}
	if fixes.Len() > 0 {
		b.WriteString(fixHead + fixes.String() + fixTail)
	}
	var notes []string
	if more := len(top) - shown; more > 0 {
		notes = append(notes, fmt.Sprintf("%s not shown: a comment holds at most %d characters; the full report lists them",
			plural(more, "more finding", "more findings"), MarkdownLimit))
	}
	if n := belowSeverity(res.Findings, o); n > 0 {
		notes = append(notes, fmt.Sprintf("%s below --severity %s not listed", plural(n, "finding", "findings"), o.Severity))
	}
	if len(notes) > 0 {
		b.WriteString("\n_" + strings.Join(notes, "; ") + "._\n")
	}
	out := b.String()
	if len(out) > MarkdownLimit {
		// Only a header beyond any real result (thousands of checks) gets
		// here: cut it at a line rather than exceed the limit.
		cut := strings.LastIndexByte(out[:MarkdownLimit-len(truncatedNote)], '\n') + 1
		out = out[:cut] + truncatedNote
	}
	_, err := io.WriteString(w, out)
	return err
}

const truncatedNote = "\n_Truncated: see the full report._\n"

func markdownVerdict(s Summary) string {
	g := s.Gate
	switch {
	case s.Errors > 0:
		return fmt.Sprintf("INCOMPLETE (%s: not every input was read)", plural(s.Errors, "input error", "input errors"))
	case g.FailOn == check.SeverityUnknown:
		return plural(s.Findings, "finding", "findings") + " (no gate)"
	case g.Failed:
		return fmt.Sprintf("FAILED (%s at or above %s)", plural(g.Count, "finding", "findings"), g.FailOn)
	case s.ExitCode() != ExitClean:
		return "FAILED (coverage is incomplete)"
	}
	return fmt.Sprintf("passed (no finding at or above %s)", g.FailOn)
}

func markdownCounts(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s: **%s**", plural(s.Objects, "object", "objects"), plural(s.Checks, "check", "checks"),
		plural(s.Findings, "finding", "findings"))
	var sev []string
	for _, v := range severitiesDesc {
		if n := s.BySeverity[v]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(sev) > 0 {
		b.WriteString(" (" + strings.Join(sev, ", ") + ")")
	}
	b.WriteString(".")
	var more []string
	if s.Suppressed > 0 {
		more = append(more, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	if s.Baselined > 0 {
		more = append(more, fmt.Sprintf("%d in the baseline (not gated)", s.Baselined))
	}
	if n := s.Errors + s.Warnings; n > 0 {
		more = append(more, plural(n, "input problem", "input problems"))
	}
	if s.Skipped > 0 {
		more = append(more, plural(s.Skipped, "input skipped", "inputs skipped"))
	}
	if s.Gaps > 0 {
		more = append(more, plural(s.Gaps, "coverage gap", "coverage gaps")+" (see the full report)")
	}
	if len(more) > 0 {
		b.WriteString(" " + strings.Join(more, ", ") + ".")
	}
	return b.String()
}

func markdownProblemList(ps []diag.Problem) string {
	var errs []diag.Problem
	for _, p := range ps {
		if p.Level == diag.Error {
			errs = append(errs, p)
		}
	}
	if len(errs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Input errors (%d)\n\n", len(errs))
	for i, p := range errs {
		if i == markdownProblems {
			fmt.Fprintf(&b, "- and %d more\n", len(errs)-i)
			break
		}
		b.WriteString("- " + mdText(truncateRunes(p.String(), 300)) + "\n")
	}
	return b.String()
}

func markdownRow(f *check.Finding) string {
	where := position(f)
	if where == "" {
		where = ObjectWhere(f.Source)
	}
	sev := strings.ToUpper(f.Severity.String())
	msg := mdText(truncateRunes(f.Message, 500))
	if f.Suppressed() {
		sev = "suppressed"
		msg += " _(" + mdText(truncateRunes(f.Suppression.Reason, 200)) + ")_"
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s |\n", sev, mdCode(f.CheckID),
		mdCode(truncateRunes(f.Object.String(), 200)), mdCode(truncateRunes(where, 200)), msg)
}

// mdText escapes input text for a Markdown table cell: no formatting, no
// HTML, no line breaks, no mentions (a zero-width space after each @), no
// pipes that would end the cell.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range OneLine(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteString("@\u200b")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode puts input text in a code span, which Markdown does not format;
// the fence is longer than any run of backticks inside, and a pipe is
// escaped, as GitHub's tables require even in code.
func mdCode(s string) string {
	s = strings.ReplaceAll(OneLine(s), "|", `\|`)
	if s == "" {
		return ""
	}
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// truncateRunes shortens s to at most n runes, marking the cut.
func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}
