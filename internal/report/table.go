package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

const (
	defaultWidth  = 100
	sevWidth      = 9 // "CRITICAL" and a space
	listPerReason = 5 // skipped paths listed per reason before "and N more"
)

// ANSI styles. Only the table uses them, and only when Options.Color is set.
const (
	styleBold   = "1"
	styleDim    = "2"
	styleRed    = "31"
	styleBoldRd = "1;31"
	styleGreen  = "32"
	styleYellow = "33"
	styleBlue   = "34"
	styleCyan   = "36"
)

var severityStyle = map[check.Severity]string{
	check.Critical: styleBoldRd, check.High: styleRed, check.Medium: styleYellow,
	check.Low: styleCyan, check.Info: styleBlue,
}

// Table writes findings grouped by object for people, then input problems,
// skipped inputs, checks that did not run and a summary with the gate.
func Table(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	t := &table{w: bufio.NewWriterSize(w, 64<<10), o: o, width: o.Width}
	if t.width <= 0 {
		t.width = defaultWidth
	}
	t.findings(res.Findings)
	t.problems(res.Problems)
	t.skipped(res.Skipped)
	t.coverage(res.Coverage)
	t.summary(Summarize(res, o))
	return t.w.Flush()
}

type table struct {
	w     *bufio.Writer
	o     Options
	width int
	any   bool // a section was written: separate the next by a blank line
}

type group struct {
	ref    string
	src    inventory.Source
	shown  []*check.Finding
	hidden int // suppressed findings not listed
}

func groupKey(f *check.Finding) string {
	s := f.Source
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%s\x00%s", f.Object.String(), s.File, s.Document, s.ListItem, s.Template, s.Cluster)
}

func (t *table) findings(fs []check.Finding) {
	var groups []*group
	byKey := map[string]*group{}
	for i := range fs {
		f := &fs[i]
		k := groupKey(f)
		g := byKey[k]
		if g == nil {
			g = &group{ref: f.Object.String(), src: f.Source}
			byKey[k] = g
			groups = append(groups, g)
		}
		if f.Suppressed() && !t.o.ShowSuppressed {
			g.hidden++
			continue
		}
		g.shown = append(g.shown, f)
	}
	for _, g := range groups {
		if len(g.shown) == 0 {
			continue // only hidden suppressed findings: counted in the summary
		}
		sort.SliceStable(g.shown, func(i, j int) bool {
			a, b := g.shown[i], g.shown[j]
			if a.Suppressed() != b.Suppressed() {
				return !a.Suppressed()
			}
			if a.Severity != b.Severity {
				return a.Severity > b.Severity
			}
			if a.Position.Line != b.Position.Line {
				return a.Position.Line < b.Position.Line
			}
			if a.Position.Column != b.Position.Column {
				return a.Position.Column < b.Position.Column
			}
			return a.CheckID < b.CheckID
		})
		t.section()
		head := t.style(styleBold, clean(g.ref))
		if where := objectWhere(g.src); where != "" {
			head += "  " + clean(where)
		}
		t.para(0, "", 0, head, "", false)
		for _, f := range g.shown {
			t.finding(f)
		}
		if g.hidden > 0 {
			t.w.WriteString("  " + t.style(styleDim, plural(g.hidden, "more finding suppressed", "more findings suppressed")) + "\n")
		}
	}
}

// objectWhere says where an object came from, for its group's header.
func objectWhere(s inventory.Source) string {
	var b strings.Builder
	switch {
	case s.File != "":
		file := ArtifactPath(s)
		b.WriteString(file)
		if s.Line > 0 {
			b.WriteString(":" + strconv.Itoa(s.Line))
		}
		if s.ListItem > 0 {
			b.WriteString(" item " + strconv.Itoa(s.ListItem))
		}
		switch {
		case rendered(s) && strings.HasPrefix(file, s.File+"/"):
			b.WriteString(" (rendered)") // a chart's template: the path names the chart
		case rendered(s):
			b.WriteString(" (rendered from " + s.File + ")")
		}
	case s.Cluster != "":
		b.WriteString("cluster " + s.Cluster)
	}
	return b.String()
}

// position is file:line:col of a finding's field, "" when unknown.
func position(f *check.Finding) string {
	file := FindingFile(f)
	if file == "" {
		return ""
	}
	if f.Position.Line > 0 {
		file += ":" + strconv.Itoa(f.Position.Line)
		if f.Position.Column > 0 {
			file += ":" + strconv.Itoa(f.Position.Column)
		}
	}
	return file
}

func (t *table) finding(f *check.Finding) {
	sup := f.Suppressed()
	label := strings.ToUpper(f.Severity.String())
	pad := strings.Repeat(" ", max(1, sevWidth-len(label)))
	style := severityStyle[f.Severity]
	if sup {
		label, style = strings.ToLower(label), styleDim
	}
	t.para(2, t.style(style, label)+pad, sevWidth, clean(f.CheckID)+": "+clean(f.Message), style, sup)
	var at string
	switch pos := position(f); {
	case f.Path != "" && pos != "":
		at = "at " + clean(f.Path) + " (" + clean(pos) + ")"
	case f.Path != "":
		at = "at " + clean(f.Path)
	case pos != "":
		at = "at " + clean(pos)
	}
	indent := 2 + sevWidth
	if at != "" {
		t.para(indent, "", 0, at, styleDim, sup)
	}
	switch {
	case sup:
		s := f.Suppression
		note := "suppressed: " + s.Reason
		if s.Expires != "" {
			note += " (until " + s.Expires + "; " + s.Origin + ")"
		} else {
			note += " (" + s.Origin + ")"
		}
		t.para(indent, "", 0, clean(note), styleDim, true)
	default:
		if f.Suppression != nil && !strings.Contains(f.Message, "suppression expired") {
			// The runner puts this note in the message; say it for findings made elsewhere.
			t.para(indent, "", 0, clean(fmt.Sprintf("suppression expired on %s: %s (%s)",
				f.Suppression.Expires, f.Suppression.Reason, f.Suppression.Origin)), "", false)
		}
		if f.Fix != "" {
			t.para(indent, "", 0, "fix: "+clean(f.Fix), "", false)
		}
	}
}

func (t *table) problems(ps []diag.Problem) {
	if len(ps) == 0 {
		return
	}
	t.heading(fmt.Sprintf("Input problems (%d)", len(ps)))
	for _, p := range ps {
		style := styleYellow
		if p.Level == diag.Error {
			style = styleRed
		}
		t.para(2, "", 0, clean(p.String()), style, false)
	}
}

func (t *table) skipped(sk []diag.Skipped) {
	if len(sk) == 0 {
		return
	}
	t.heading(fmt.Sprintf("Skipped inputs (%d)", len(sk)))
	for _, g := range skippedByReason(sk) {
		r, paths := g.reason, g.paths
		list := paths
		if len(list) > listPerReason+1 { // "and 1 more" would be longer than the name
			list = list[:listPerReason]
		}
		text := fmt.Sprintf("%s (%d): %s", r, len(paths), strings.Join(list, ", "))
		if more := len(paths) - len(list); more > 0 {
			text += fmt.Sprintf(" and %d more", more)
		}
		t.para(2, "", 0, clean(text), "", false)
	}
}

type skipGroup struct {
	reason string
	paths  []string
}

// skippedByReason groups skipped inputs by reason, the most common first.
func skippedByReason(sk []diag.Skipped) []skipGroup {
	var out []skipGroup
	at := map[string]int{}
	for _, s := range sk {
		i, ok := at[s.Reason]
		if !ok {
			i = len(out)
			at[s.Reason] = i
			out = append(out, skipGroup{reason: s.Reason})
		}
		out[i].paths = append(out[i].paths, s.Path)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := len(out[i].paths), len(out[j].paths); a != b {
			return a > b
		}
		return out[i].reason < out[j].reason
	})
	return out
}

func (t *table) coverage(gaps []scan.Gap) {
	if len(gaps) == 0 {
		return
	}
	t.heading(fmt.Sprintf("Checks that did not run (%d)", len(gaps)))
	for _, g := range gaps {
		t.para(2, "", 0, clean(g.Check+": "+g.Reason), styleYellow, false)
	}
}

func (t *table) summary(s Summary) {
	t.section()
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s: ", plural(s.Objects, "object", "objects"), plural(s.Checks, "check", "checks"))
	if s.Findings == 0 {
		b.WriteString("no findings")
	} else {
		var sev []string
		for _, v := range severitiesDesc {
			if n := s.BySeverity[v]; n > 0 {
				sev = append(sev, t.style(severityStyle[v], fmt.Sprintf("%d %s", n, v)))
			}
		}
		fmt.Fprintf(&b, "%s (%s)", plural(s.Findings, "finding", "findings"), strings.Join(sev, ", "))
	}
	b.WriteString(".")
	t.para(0, "", 0, b.String(), "", false)

	var sup []string
	if s.Suppressed > 0 {
		note := strconv.Itoa(s.Suppressed) + " suppressed"
		if !t.o.ShowSuppressed {
			note += " (not listed)"
		}
		sup = append(sup, note)
	}
	if s.Expired > 0 {
		sup = append(sup, plural(s.Expired, "expired suppression", "expired suppressions")+" (listed above)")
	}
	if len(sup) > 0 {
		t.para(0, "", 0, strings.Join(sup, ", ")+".", "", false)
	}

	var input []string
	if n := s.Errors + s.Warnings; n > 0 {
		input = append(input, fmt.Sprintf("%s (%s, %s)", plural(n, "input problem", "input problems"),
			plural(s.Errors, "error", "errors"), plural(s.Warnings, "warning", "warnings")))
	}
	if s.Skipped > 0 {
		input = append(input, plural(s.Skipped, "input skipped", "inputs skipped"))
	}
	if s.Gaps > 0 {
		input = append(input, plural(s.Gaps, "check did not run", "checks did not run"))
	}
	if len(input) > 0 {
		style := styleYellow
		if s.Errors > 0 {
			style = styleRed
		}
		t.para(0, "", 0, t.style(style, strings.Join(input, ", ")+"."), "", false)
	}

	g := s.Gate
	switch {
	case s.Errors > 0:
		// Not every input was read: no verdict on findings holds, and the
		// run exits 2 whatever they are.
		line := fmt.Sprintf("Gate --fail-on %s: %s (%s: not every input was read; the run exits 2)", gateName(g.FailOn),
			t.style(styleBoldRd, "INCOMPLETE"), plural(s.Errors, "input error", "input errors"))
		if g.Failed {
			line += fmt.Sprintf(", and %s at or above %s", plural(g.Count, "finding", "findings"), g.FailOn)
		}
		t.para(0, "", 0, line+".", "", false)
	case g.FailOn == check.SeverityUnknown:
		t.w.WriteString("Gate --fail-on none: findings do not fail the run.\n")
	case g.Failed:
		fmt.Fprintf(t.w, "Gate --fail-on %s: %s (%s at or above %s).\n", g.FailOn,
			t.style(styleBoldRd, "FAILED"), plural(g.Count, "finding", "findings"), g.FailOn)
	default:
		fmt.Fprintf(t.w, "Gate --fail-on %s: %s (no unsuppressed finding at or above %s).\n", g.FailOn,
			t.style(styleGreen, "passed"), g.FailOn)
	}
}

// heading starts a section with a bold title.
func (t *table) heading(title string) {
	t.section()
	t.w.WriteString(t.style(styleBold, title) + "\n")
}

func (t *table) section() {
	if t.any {
		t.w.WriteByte('\n')
	}
	t.any = true
}

func (t *table) style(code, s string) string {
	if !t.o.Color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// para writes text wrapped to the table's width: lead (leadWidth visible
// columns, possibly coloured) after indent spaces on the first line, the
// text after it, continuation lines aligned under the text. Lines of text
// are kept. With dim set the text is dimmed (suppressed findings); style
// colours the text otherwise, unless it is the severity style of the lead.
func (t *table) para(indent int, lead string, leadWidth int, text, style string, dim bool) {
	textStyle := ""
	switch {
	case dim:
		textStyle = styleDim
	case lead == "" && style != "":
		textStyle = style
	}
	pad := strings.Repeat(" ", indent)
	hangWidth := leadWidth
	if lead == "" {
		hangWidth = 2 // a wrapped line without a lead hangs under its first word
	}
	hang := pad + strings.Repeat(" ", hangWidth)
	firstWidth := max(t.width-indent-leadWidth, 30)
	restWidth := max(t.width-indent-hangWidth, 30)
	first := true
	for _, line := range strings.Split(text, "\n") {
		for _, part := range wrap(line, firstWidth, restWidth) {
			if first {
				t.w.WriteString(pad + lead)
				first = false
			} else {
				t.w.WriteString(hang)
			}
			t.w.WriteString(t.style(textStyle, part))
			t.w.WriteByte('\n')
		}
	}
}

// wrap breaks s at spaces into lines of at most first columns, then rest
// columns; a word longer than that (a long path) stays whole on its line.
func wrap(s string, first, rest int) []string {
	if visibleLen(s) <= first {
		return []string{s}
	}
	var out []string
	var cur strings.Builder
	n, width := 0, first
	for _, word := range strings.Fields(s) {
		wl := visibleLen(word)
		if n > 0 && n+1+wl > width {
			out = append(out, cur.String())
			cur.Reset()
			n, width = 0, rest
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		cur.WriteString(word)
		n += wl
	}
	if n > 0 || len(out) == 0 {
		out = append(out, cur.String())
	}
	return out
}

// visibleLen counts the runes of s that take a column: our own colour
// sequences do not (clean has escaped any that came from the input).
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if j := strings.IndexByte(s[i:], 'm'); j > 0 {
				i += j + 1
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// clean makes text from the input safe to print on a terminal: control
// characters (an escape sequence hidden in a manifest's name or value) and
// bidirectional overrides are shown escaped instead of acting; tabs become
// spaces; newlines stay.
func clean(s string) string {
	safe := true
	for _, r := range s {
		if unsafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case unsafeRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
