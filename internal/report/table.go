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
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	defaultWidth  = 100
	sevWidth      = 9 // "CRITICAL" and a space
	listPerReason = 5 // skipped paths listed per reason before "and N more"
	// tableElsewhere are the other places of a finding the table names
	// before "and N more"; JSON lists each.
	tableElsewhere = 3
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
	checks := groupByCheck(res.Findings, o)
	if countListed(res.Findings, o) > longOutput {
		t.fixes = commonFixes(checks)
	}
	owned, vendored := splitVendored(res.Findings, o)
	t.findings(owned)
	if len(vendored) > 0 {
		open := 0
		for i := range vendored {
			if !vendored[i].Suppressed() {
				open++
			}
		}
		t.heading(fmt.Sprintf("Vendored code: %s outside the gate (--gate-vendored counts them)",
			plural(open, "finding", "findings")))
		t.findings(vendored)
	}
	t.problems(res.Problems)
	t.skipped(res.Skipped)
	t.coverage(res.Coverage)
	t.byCheck(checks)
	t.frameworks(o.Frameworks)
	t.hiddenBySeverity(belowSeverity(res.Findings, o))
	t.summary(Summarize(res, o))
	return t.w.Flush()
}

type table struct {
	w     *bufio.Writer
	o     Options
	width int
	any   bool // a section was written: separate the next by a blank line
	// fixes, in long outputs, are the fixes the summary by check prints
	// once: findings that state the same one do not repeat it.
	fixes map[string]string
}

type group struct {
	ref    string
	src    inventory.Source
	shown  []*check.Finding
	hidden int // suppressed findings not listed
}

func (t *table) findings(fs []check.Finding) {
	var groups []*group
	byKey := map[string]*group{}
	for i := range fs {
		f := &fs[i]
		k := f.PlaceKey()
		g := byKey[k]
		if g == nil {
			g = &group{ref: f.Object.String(), src: f.Source}
			byKey[k] = g
			groups = append(groups, g)
		}
		switch {
		case f.Suppressed() && !t.o.ShowSuppressed:
			g.hidden++
		case listed(f, t.o):
			g.shown = append(g.shown, f)
		}
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
		if where := ObjectWhere(g.src); where != "" {
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

// splitVendored sets apart the findings in vendored code that the gate
// leaves out, for their own section.
func splitVendored(fs []check.Finding, o Options) (owned, vendored []check.Finding) {
	if o.GateVendored {
		return fs, nil
	}
	for i := range fs {
		if fs[i].Vendored {
			vendored = append(vendored, fs[i])
		} else {
			owned = append(owned, fs[i])
		}
	}
	if len(vendored) == 0 {
		return fs, nil
	}
	return owned, vendored
}

// ObjectWhere says where an object came from (file:line, the list item, the
// template a chart rendered it from), for the header of its findings.
func ObjectWhere(s inventory.Source) string {
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
	if also := alsoIn(f, tableElsewhere); also != "" {
		t.para(indent, "", 0, clean(also), styleDim, sup)
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
		if f.Fix != "" && t.fixes[f.CheckID] != f.Fix {
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

// coverage lists what the scan could not read or judge, one gap per cause,
// the most important first. Minor gaps (kinds few checks read that only
// made them run on part of their input) share one line, and accepted gaps
// are folded into one line each, so the section fits on a screen.
func (t *table) coverage(gaps []scan.Gap) {
	var open, minor, accepted []scan.Gap
	for _, g := range gaps {
		switch {
		case g.Accepted != nil:
			accepted = append(accepted, g)
		case g.Minor():
			minor = append(minor, g)
		default:
			open = append(open, g)
		}
	}
	if n := len(open) + len(minor); n > 0 {
		t.heading(fmt.Sprintf("Coverage: %s, most important first (-o json lists every check)", plural(n, "gap", "gaps")))
		for _, g := range open {
			head := g.Title() + ": " + g.Reason
			if gr := g.Grant; gr != nil {
				// A kind's gap is named by its resource: the grant is its verbs.
				if schema.ParseGroupResource(g.ID) == (schema.GroupResource{Group: gr.APIGroup, Resource: gr.Resource}) {
					head += "; grant: " + strings.Join(gr.Verbs, ", ")
				} else {
					head += "; grant: " + gr.String()
				}
			}
			t.para(2, "", 0, clean(head), styleYellow, false)
			t.para(4, "", 0, clean(gapEffect(g)), "", false)
		}
		t.minorGaps(minor)
	}
	if len(accepted) == 0 {
		return
	}
	t.heading(fmt.Sprintf("Accepted coverage gaps (%d)", len(accepted)))
	for _, g := range accepted {
		t.para(2, "", 0, clean(fmt.Sprintf("%s (%s, %s): %s", g.Title(), plural(g.Checks(), "check", "checks"), g.Accepted.Origin, g.Accepted.Reason)), styleDim, false)
	}
}

// minorGaps writes the minor gaps as one paragraph per reason: "3 more
// kinds, forbidden to list cluster-wide (grant: list): a, b, c; 2 checks
// ran on part of their input".
func (t *table) minorGaps(gaps []scan.Gap) {
	var reasons []string
	byReason := map[string][]scan.Gap{}
	for _, g := range gaps {
		if _, ok := byReason[g.Reason]; !ok {
			reasons = append(reasons, g.Reason)
		}
		byReason[g.Reason] = append(byReason[g.Reason], g)
	}
	for _, r := range reasons {
		gs := byReason[r]
		ids := make([]string, len(gs))
		checks := map[string]bool{}
		grant := ""
		for i, g := range gs {
			ids[i] = g.Title()
			for _, id := range g.Partial {
				checks[id] = true
			}
			if g.Grant != nil {
				grant = " (grant: " + strings.Join(g.Grant.Verbs, ", ") + ")"
			}
		}
		head := fmt.Sprintf("%s: %s%s", strings.Join(ids, ", "), r, grant)
		if len(gs) > 1 {
			head = fmt.Sprintf("%s, each %s%s: %s", plural(len(gs), "kind", "kinds"), r, grant, someOf(ids, listMinor))
		}
		t.para(2, "", 0, clean(head), styleYellow, false)
		t.para(4, "", 0, affected(partialEffect, len(checks)), "", false)
	}
}

// listMinor is how many minor gaps a shared line names.
const listMinor = 3

// listPerGap is how many check ids or objects a gap names in the table
// before "and N more"; JSON lists them all.
const listPerGap = 1

// gapEffect says in one line what a gap did: how many checks did not run,
// had nothing to judge or ran on part of their input, naming a few of the
// first kind, and the objects not judged.
func gapEffect(g scan.Gap) string {
	var parts []string
	named := false
	for i, ids := range gapChecks(g) {
		if len(ids) == 0 {
			continue
		}
		part := affected(i, len(ids))
		if !named {
			part += " (" + someOf(ids, listPerGap) + ")"
			named = true
		}
		parts = append(parts, part)
	}
	text := strings.Join(parts, ", ")
	if len(g.Objects) > 0 {
		text += "; not judged: " + someOf(g.Objects, listPerGap)
	}
	return text
}

// someOf lists the first n items and counts the rest.
func someOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// byCheck lists the checks with open findings: how many, at what
// severity, on how many objects, and in long outputs the fix, once.
func (t *table) byCheck(groups []*checkGroup) {
	if len(groups) == 0 {
		return
	}
	t.heading(fmt.Sprintf("Findings by check (%d)", len(groups)))
	idWidth := 0
	for _, g := range groups {
		idWidth = max(idWidth, visibleLen(clean(g.ID)))
	}
	idWidth = min(idWidth, 40)
	for _, g := range groups {
		label := strings.ToUpper(g.Severity.String())
		pad := strings.Repeat(" ", max(1, sevWidth-len(label)))
		id := clean(g.ID)
		text := id + strings.Repeat(" ", max(1, idWidth+2-visibleLen(id))) +
			plural(g.Open, "finding", "findings") + " on " + plural(g.Objects, "object", "objects")
		if g.Hidden > 0 {
			text += fmt.Sprintf(" (%d below --severity)", g.Hidden)
		}
		t.para(2, t.style(severityStyle[g.Severity], label)+pad, sevWidth, text, "", false)
		if t.fixes != nil && g.Fix != "" {
			t.para(2+sevWidth, "", 0, "fix: "+clean(g.Fix), "", false)
		}
	}
}

// hiddenBySeverity says how many open findings --severity left out.
func (t *table) hiddenBySeverity(n int) {
	if n > 0 {
		t.section()
		t.para(0, "", 0, fmt.Sprintf("%s below --severity %s not listed; the summary counts them.",
			plural(n, "finding", "findings"), t.o.Severity), "", false)
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

	var once []string
	if s.Elsewhere > 0 {
		once = append(once, plural(s.Elsewhere, "more place", "more places")+" of findings found in several files")
	}
	if s.Folded > 0 {
		once = append(once, plural(s.Folded, "finding", "findings")+" of other checks folded into the one about the same root cause")
	}
	if len(once) > 0 {
		t.para(0, "", 0, "Counted once: "+strings.Join(once, "; ")+".", "", false)
	}
	if s.Vendored > 0 {
		t.para(0, "", 0, plural(s.Vendored, "finding", "findings")+" in vendored code, listed apart and not gated.", "", false)
	}

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
	if s.Baselined > 0 {
		sup = append(sup, plural(s.Baselined, "finding", "findings")+" in the baseline (not listed, not gated)")
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
	if len(input) > 0 {
		style := styleYellow
		if s.Errors > 0 {
			style = styleRed
		}
		t.para(0, "", 0, t.style(style, strings.Join(input, ", ")+"."), "", false)
	}

	t.coverageSummary(s)

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
	switch {
	case !g.FailOnIncomplete:
	case s.Gaps > 0:
		fmt.Fprintf(t.w, "Gate --fail-on-incomplete: %s (%s; accept a known one with --ignore-gap GAP=REASON).\n",
			t.style(styleBoldRd, "FAILED"), plural(s.Gaps, "open coverage gap", "open coverage gaps"))
	default:
		fmt.Fprintf(t.w, "Gate --fail-on-incomplete: %s (no open coverage gap).\n", t.style(styleGreen, "passed"))
	}
}

// coverageSummary counts the checks open gaps affect, each once, and the
// gaps: "Coverage: 3 checks did not run, 24 had nothing to judge; 5 open
// gaps, 1 accepted."
func (t *table) coverageSummary(s Summary) {
	if s.Gaps+s.AcceptedGaps == 0 {
		return
	}
	var parts []string
	for i, n := range [len(gapEffects)]int{s.NotRun, s.NothingToJudge, s.Partial} {
		if n > 0 {
			parts = append(parts, affected(i, n))
		}
	}
	gaps := plural(s.Gaps, "open gap", "open gaps")
	if s.AcceptedGaps > 0 {
		gaps += fmt.Sprintf(", %d accepted", s.AcceptedGaps)
	}
	text := "Coverage: " + gaps + "."
	if len(parts) > 0 {
		text = "Coverage: " + strings.Join(parts, ", ") + "; " + gaps + "."
	}
	style := styleYellow
	if s.Gaps == 0 {
		style = ""
	}
	t.para(0, "", 0, t.style(style, text), "", false)
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
