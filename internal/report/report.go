// Package report renders a scan result for people and machines: a table for
// terminals, JSON with a versioned schema, SARIF 2.1.0 for code scanning, and
// JUnit XML for CI test views.
//
// Every renderer shows the same facts: findings (suppressed ones marked, not
// dropped, except that the table hides them behind a count), input problems,
// skipped inputs and checks that could not run, so nothing is left out
// silently. Renderers only print what findings hold; findings never hold a
// secret's value, and nothing here adds one.
package report

import (
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
	"golang.org/x/term"
)

// InformationURI is the project's home, named in JSON and SARIF.
const InformationURI = "https://github.com/kubeward/kubeward"

// Options shape a report.
type Options struct {
	// Color adds ANSI colours to the table; decide it with ColorEnabled.
	Color bool
	// Root is the directory SARIF artifact URIs are relative to (%SRCROOT%),
	// usually the repository root; "" means BaseDir.
	Root string
	// BaseDir is the directory that relative file names in the result are
	// relative to; "" means the current directory (the file walker shows
	// paths relative to it).
	BaseDir string
	// ToolVersion is kubeward's version, shown in JSON and SARIF.
	ToolVersion string
	// FailOn is the CI gate: unsuppressed findings at or above it fail the
	// run. SeverityUnknown means no gate (--fail-on none).
	FailOn check.Severity
	// FailOnIncomplete fails the run (exit 1) when a coverage gap is open
	// (--fail-on-incomplete).
	FailOnIncomplete bool
	// GateVendored counts findings in vendored code (check.Finding.Vendored)
	// like the others, in the summary and the gate (--gate-vendored);
	// otherwise they are reported in their own section only.
	GateVendored bool
	// ShowSuppressed lists suppressed findings in the table; JSON, SARIF and
	// JUnit include them, marked as suppressed.
	ShowSuppressed bool
	// SARIFOmitSuppressed leaves suppressed findings out of SARIF. GitHub
	// code scanning ignores SARIF suppressions and opens an alert for each
	// suppressed result, so uploads to it want this.
	SARIFOmitSuppressed bool
	// SARIFCategory names the run (runs[].automationDetails.id, such as
	// "kubeward/helm/"): GitHub keeps the alerts of each category apart, so
	// several uploads for one commit do not close each other's alerts.
	SARIFCategory string
	// Checks supply rule descriptions; nil means the registry.
	Checks []*check.Check
	// Width is the table's wrapping width; 0 means 100 columns.
	Width int
	// Baselined is the number of findings scan --baseline left out of the
	// result because the baseline holds them; the summaries say so.
	Baselined int
	// Severity hides findings below it from the human formats (table,
	// compact, Markdown, HTML: --severity); they still count in the
	// summary and the gate, and JSON, SARIF and JUnit list every finding.
	Severity check.Severity
	// Frameworks are the results of the frameworks --framework asked for,
	// computed from the whole result (before a baseline filtered it).
	Frameworks []*framework.Result
}

// Formats lists the output formats Write accepts.
func Formats() []string {
	return []string{"table", "compact", "json", "sarif", "junit", "markdown", "html"}
}

// Write renders res in the named format.
func Write(format string, w io.Writer, res *scan.Result, o Options) error {
	switch format {
	case "table":
		return Table(w, res, o)
	case "json":
		return JSON(w, res, o)
	case "sarif":
		return SARIF(w, res, o)
	case "junit":
		return JUnit(w, res, o)
	case "compact":
		return Compact(w, res, o)
	case "markdown":
		return Markdown(w, res, o)
	case "html":
		return HTML(w, res, o)
	}
	return fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats(), ", "))
}

// ParseOutput reads an output spec of the CLI: "FORMAT" writes to standard
// output (file is ""), "FORMAT=FILE" writes to FILE. The format must be one
// of Formats.
func ParseOutput(spec string) (format, file string, err error) {
	return ParseOutputOf(spec, Formats())
}

// ParseOutputOf reads an output spec as ParseOutput does, for a command
// whose formats are formats: every kubeward command gives -o this one
// meaning.
func ParseOutputOf(spec string, formats []string) (format, file string, err error) {
	format, file, hasFile := strings.Cut(spec, "=")
	format = strings.ToLower(strings.TrimSpace(format))
	if hasFile && strings.TrimSpace(file) == "" {
		return "", "", fmt.Errorf("output %q names no file after '='", spec)
	}
	for _, f := range formats {
		if f == format {
			return format, file, nil
		}
	}
	hint := ""
	if !hasFile && len(formats) > 0 && strings.ContainsAny(spec, "./\\") {
		// -o once named a file in some commands: say how to write one now,
		// with the format the file's extension suggests.
		suggest := formats[0]
		ext := strings.ToLower(path.Ext(spec))
		for _, f := range formats {
			if ext != "" && strings.Contains(ext, f) {
				suggest = f
			}
		}
		hint = fmt.Sprintf("; to write to a file, give FORMAT=FILE, such as %s=%s", suggest, spec)
	}
	return "", "", fmt.Errorf("unknown output format %q (want %s)%s", format, strings.Join(formats, ", "), hint)
}

// ColorEnabled reports whether the table written to f should be coloured: f
// is a terminal, NO_COLOR is unset or empty (https://no-color.org), and TERM
// is not "dumb".
func ColorEnabled(f *os.File) bool {
	return colorEnabled(f != nil && term.IsTerminal(int(f.Fd())), os.Getenv)
}

func colorEnabled(isTerminal bool, getenv func(string) string) bool {
	return isTerminal && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// Gate is the outcome of the CI gate over a result's findings.
type Gate struct {
	FailOn           check.Severity // SeverityUnknown: no gate
	Count            int            // unsuppressed findings at or above FailOn
	Failed           bool
	FailOnIncomplete bool // an open coverage gap fails the run too
}

// Summary counts what a report shows; the table's last lines and the JSON
// summary print it, and the CLI can take its exit code from Gate.
type Summary struct {
	Objects    int
	Checks     int // checks that ran
	Findings   int // unsuppressed findings, those with an expired suppression included
	BySeverity [check.Critical + 1]int
	Suppressed int
	Baselined  int // findings left out because the baseline holds them (Options.Baselined)
	Expired    int // findings whose suppression expired
	// Vendored counts the unsuppressed findings in vendored code left out
	// of Findings and the gate (all of them when GateVendored is unset).
	Vendored int
	// Elsewhere counts the other places of findings found in several files
	// (check.Finding.Elsewhere), and Folded the findings of other checks
	// folded into one about the same root cause: each is counted once.
	Elsewhere int
	Folded    int
	Errors    int // input problems at error level
	Warnings  int
	Skipped   int // inputs not scanned
	// Checks a coverage gap nobody accepted affects, by what it did to
	// them; a check is counted once, under the status that says most.
	NotRun, Partial, NothingToJudge int
	Gaps                            int // open coverage gaps
	AcceptedGaps                    int // gaps accepted with --ignore-gap or the configuration
	Gate                            Gate
}

// Incomplete is the number of checks an open coverage gap affects.
func (s Summary) Incomplete() int { return s.NotRun + s.Partial + s.NothingToJudge }

// Summarize counts a result under the options' gate.
func Summarize(res *scan.Result, o Options) Summary {
	failOn := o.FailOn
	s := Summary{Objects: res.Objects, Checks: len(res.Checks), Skipped: len(res.Skipped), Gaps: res.OpenGaps(),
		AcceptedGaps: len(res.Coverage) - res.OpenGaps()}
	for _, c := range res.CheckCoverage() {
		switch c.Status {
		case scan.NotRun:
			s.NotRun++
		case scan.Partial:
			s.Partial++
		case scan.NothingToJudge:
			s.NothingToJudge++
		}
	}
	s.Gate.FailOn, s.Gate.FailOnIncomplete = failOn, o.FailOnIncomplete
	s.Baselined = o.Baselined
	for i := range res.Findings {
		f := &res.Findings[i]
		s.Elsewhere += len(f.Elsewhere)
		s.Folded += len(f.Folded)
		switch {
		case f.Suppressed():
			s.Suppressed++
			continue
		case f.Vendored && !o.GateVendored:
			s.Vendored++
			continue
		case f.Suppression != nil:
			s.Expired++
		}
		s.Findings++
		if f.Severity > check.SeverityUnknown && f.Severity <= check.Critical {
			s.BySeverity[f.Severity]++
		}
		if Gated(f, o) {
			s.Gate.Count++
		}
	}
	s.Gate.Failed = s.Gate.Count > 0
	for _, p := range res.Problems {
		if p.Level == diag.Error {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	return s
}

// Exit codes of a scan, the CLI's contract with CI.
const (
	ExitClean    = 0
	ExitFindings = 1
	ExitError    = 2
)

// ExitCode is the exit status the result gives the run, the one every
// renderer reports: input errors first (not every input was read, so no
// verdict holds), then findings at or above the gate, then, with
// FailOnIncomplete, an open (not accepted) coverage gap.
func (s Summary) ExitCode() int {
	switch {
	case s.Errors > 0:
		return ExitError
	case s.Gate.Failed, s.Gate.FailOnIncomplete && s.Gaps > 0:
		return ExitFindings
	}
	return ExitClean
}

// Gated reports whether f counts in the gate under o: open, owned (or
// vendored code gated too) and at or above o.FailOn.
func Gated(f *check.Finding, o Options) bool {
	return !f.Suppressed() && (!f.Vendored || o.GateVendored) && o.FailOn != check.SeverityUnknown && f.Severity >= o.FailOn
}

// severitiesDesc lists severities from the most to the least severe.
var severitiesDesc = []check.Severity{check.Critical, check.High, check.Medium, check.Low, check.Info}

// FindingFile is the file a finding's position counts in: a field's own
// file when it was written elsewhere than its object (a Kustomize patch),
// else the object's ArtifactPath.
func FindingFile(f *check.Finding) string {
	if f.Position.File != "" {
		return f.Position.File
	}
	return ArtifactPath(f.Source)
}

// ArtifactPath is the file an object's positions refer to, in the result's
// slash-separated form: the manifest (a Kustomize resource's own file), or
// for a rendered Helm object the template named by Source.Template, joined
// with the chart path in Source.File. Helm names templates
// "<chart>/templates/x.yaml" ("# Source:") and CRDs "<chart>/crds/x.yaml",
// so the chart's name is replaced by the chart's path. A chart archive or
// an absolute template path leave the chart itself. It is "" for objects
// read from a cluster.
func ArtifactPath(src inventory.Source) string {
	if src.File == "" || src.Template == "" || src.File == "-" {
		return src.File
	}
	lower := strings.ToLower(src.File)
	if strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tar.gz") {
		return src.File
	}
	t := strings.ReplaceAll(src.Template, `\`, "/")
	if strings.Contains(t, "://") || path.IsAbs(t) || (len(t) > 1 && t[1] == ':') {
		return src.File
	}
	if segs := strings.Split(t, "/"); len(segs) > 2 && helmDirs[segs[1]] {
		t = strings.Join(segs[1:], "/")
	}
	return path.Join(src.File, t)
}

// helmDirs are the chart directories Helm's "# Source:" paths and CRD file
// names pass through after the chart's name.
var helmDirs = map[string]bool{"templates": true, "charts": true, "crds": true}

// rendered reports whether the finding's position is in rendered output
// (a Helm template after rendering) rather than in a file as written.
func rendered(src inventory.Source) bool { return src.File != "" && src.Template != "" }

// rules returns the metadata of every check that ran or reported a finding,
// sorted by id. A finding of a check that is neither in o.Checks nor in the
// registry gets a rule made from the finding, so every result has a rule.
func rules(res *scan.Result, o Options) []check.Meta {
	given := make(map[string]*check.Check, len(o.Checks))
	for _, c := range o.Checks {
		given[c.ID] = c
	}
	seen := map[string]bool{}
	var out []check.Meta
	add := func(id string, f *check.Finding) {
		if seen[id] {
			return
		}
		seen[id] = true
		if c, ok := given[id]; ok {
			out = append(out, c.Meta)
			return
		}
		if c, ok := check.Get(id); ok {
			out = append(out, c.Meta)
			return
		}
		m := check.Meta{ID: id, Title: id}
		if f != nil {
			m.Title, m.Severity, m.Category, m.Fix = f.Title, f.Severity, f.Category, f.Fix
		}
		out = append(out, m)
	}
	example := map[string]*check.Finding{}
	for i := range res.Findings {
		if f := &res.Findings[i]; example[f.CheckID] == nil {
			example[f.CheckID] = f
		}
	}
	for _, id := range res.Checks {
		add(id, example[id])
	}
	for i := range res.Findings {
		add(res.Findings[i].CheckID, &res.Findings[i])
	}
	for _, g := range res.Coverage {
		for _, ids := range gapChecks(g) {
			for _, id := range ids {
				add(id, nil)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// gapEffects word what a coverage gap did to checks, in the order that
// tells the reader most first: the order of gapChecks.
var gapEffects = [...]struct{ one, many string }{
	{"check did not run", "checks did not run"},
	{"check had nothing to judge", "checks had nothing to judge"},
	{"check ran on part of its input", "checks ran on part of their input"},
}

// partialEffect is the index in gapEffects of checks that ran on part of
// their input.
const partialEffect = 2

// gapChecks are the checks a gap affects, in the order of gapEffects.
func gapChecks(g scan.Gap) [len(gapEffects)][]string {
	return [...][]string{g.NotRun, g.NothingToJudge, g.Partial}
}

// affected counts checks by effect: "2 checks did not run".
func affected(effect, n int) string {
	return plural(n, gapEffects[effect].one, gapEffects[effect].many)
}

// alsoIn names the other places of a finding found in several files:
// "also in 2 other places: a.yaml:3:5, b.yaml:9:5"; at most limit of them
// (0: all), then how many more.
func alsoIn(f *check.Finding, limit int) string {
	n := len(f.Elsewhere)
	if n == 0 {
		return ""
	}
	var where []string
	for i := range f.Elsewhere {
		if limit > 0 && i == limit && n > limit+1 { // "and 1 more" is no shorter than the place
			where = append(where, fmt.Sprintf("and %d more", n-limit))
			break
		}
		e := &f.Elsewhere[i]
		w := position(e)
		if w == "" {
			w = ObjectWhere(e.Source)
		}
		where = append(where, w)
	}
	return fmt.Sprintf("also in %s: %s", plural(n, "other place", "other places"), strings.Join(where, ", "))
}

func gateName(s check.Severity) string {
	if s == check.SeverityUnknown {
		return "none"
	}
	return s.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
