package report

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/scan"
)

// JUnit layout: one testsuite per check, one testcase per object the check
// reported on. CI test views (GitLab, Jenkins, Azure DevOps, the GitHub
// JUnit actions) list suites with their failure counts, so a suite per check
// reads as "which protection is missing, and where"; the suite and case
// names are stable across runs (check id, object), so the CI's per-test
// history follows one problem. Files move; checks and objects do not.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

const inputSuite = "kubeward inputs"

// JUnit writes JUnit XML. Each check is a testsuite and each object it
// reported on a testcase: unsuppressed findings that reach the gate
// (Options.FailOn; every finding when there is no gate) are a failure, those
// below the gate pass with the findings in system-out, suppressed ones are
// skipped with the reason. A check without findings has one passing case;
// a check that could not run has a skipped case. Input problems and skipped
// inputs form a last suite: errors as errors, warnings as passing cases with
// the message, skipped inputs as one skipped case per reason.
func JUnit(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	doc := buildJUnit(res, o)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

// junitCoverageCase names the skipped case of a check a coverage gap
// affects: CI test views count it as skipped, never as passed.
var junitCoverageCase = map[scan.Status]string{
	scan.NotRun:         "check did not run",
	scan.NothingToJudge: "nothing to judge",
	scan.Partial:        "ran on part of its input",
}

func buildJUnit(res *scan.Result, o Options) *junitSuites {
	byCheck := map[string][]*check.Finding{}
	for i := range res.Findings {
		f := &res.Findings[i]
		byCheck[f.CheckID] = append(byCheck[f.CheckID], f)
	}
	ran := map[string]bool{}
	for _, id := range res.Checks {
		ran[id] = true
	}
	gaps := map[string]scan.CheckCoverage{}
	for _, c := range res.CheckCoverage() {
		gaps[c.Check] = c
	}
	doc := &junitSuites{Name: "kubeward", Time: "0"}
	for _, m := range rules(res, o) {
		s := junitSuite{Name: m.ID, Time: "0", Properties: &junitProperties{Property: []junitProperty{
			{Name: "title", Value: m.Title}, {Name: "severity", Value: m.Severity.String()}, {Name: "category", Value: string(m.Category)},
		}}}
		s.Cases = objectCases(m.ID, byCheck[m.ID], o)
		// A check with nothing to read in this input (control-plane checks
		// on application manifests) neither passed nor failed: no case.
		if len(s.Cases) == 0 && ran[m.ID] && !slices.Contains(res.NoInput, m.ID) {
			s.Cases = append(s.Cases, junitCase{Name: "no findings", Classname: m.ID, Time: "0"})
		}
		if g, ok := gaps[m.ID]; ok {
			s.Cases = append(s.Cases, junitCase{Name: junitCoverageCase[g.Status], Classname: m.ID, Time: "0",
				Skipped: &junitOutcome{Message: g.Reason}})
		}
		doc.add(s)
	}
	if len(res.Problems)+len(res.Skipped) > 0 {
		doc.add(inputCases(res.Problems, res.Skipped))
	}
	return doc
}

// add counts a suite's outcomes into it and into the document.
func (d *junitSuites) add(s junitSuite) {
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Errors += s.Errors
	d.Skipped += s.Skipped
	d.Suites = append(d.Suites, s)
}

func objectCases(checkID string, fs []*check.Finding, o Options) []junitCase {
	failOn := o.FailOn
	var keys []string
	byKey := map[string][]*check.Finding{}
	names := map[string]int{}
	for _, f := range fs {
		k := f.PlaceKey()
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
			names[f.Object.String()]++
		}
		byKey[k] = append(byKey[k], f)
	}
	cases := make([]junitCase, 0, len(keys))
	for _, k := range keys {
		group := byKey[k]
		first := group[0]
		c := junitCase{Name: first.Object.String(), Classname: checkID, File: FindingFile(first), Time: "0"}
		if names[c.Name] > 1 { // the same object from two files (overlays): tell them apart
			c.Name += " (" + ObjectWhere(first.Source) + ")"
		}
		c.Line = first.Position.Line
		if c.Line == 0 {
			c.Line = first.Source.Line
		}
		var open, gated []*check.Finding
		top := check.SeverityUnknown
		for _, f := range group {
			if f.Suppressed() {
				continue
			}
			open = append(open, f)
			if (!f.Vendored || o.GateVendored) && (failOn == check.SeverityUnknown || f.Severity >= failOn) {
				gated = append(gated, f)
			}
			top = max(top, f.Severity)
		}
		details := junitDetails(group)
		switch {
		case len(gated) > 0:
			msg := gated[0].Message
			if len(gated) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(gated)-1)
			}
			c.Failure = &junitOutcome{Message: msg, Type: top.String(), Text: details}
		case len(open) > 0 && first.Vendored && !o.GateVendored:
			c.SystemOut = "In vendored code, outside the gate (--gate-vendored counts it):\n" + details
		case len(open) > 0:
			c.SystemOut = fmt.Sprintf("Below the gate (--fail-on %s):\n%s", failOn, details)
		default:
			s := first.Suppression
			c.Skipped = &junitOutcome{Message: fmt.Sprintf("suppressed: %s (%s)", s.Reason, s.Origin)}
			c.SystemOut = details
		}
		cases = append(cases, c)
	}
	return cases
}

// junitDetails lists an object's findings of one check: where, what, fix.
func junitDetails(fs []*check.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "[%s] %s\n", f.Severity, f.Message)
		if pos := position(f); pos != "" || f.Path != "" {
			b.WriteString("  at ")
			b.WriteString(strings.TrimSpace(f.Path + " " + pos))
			b.WriteByte('\n')
		}
		if len(f.Elsewhere) > 0 {
			b.WriteString("  " + alsoIn(f, 0) + "\n")
		}
		if f.Suppressed() {
			fmt.Fprintf(&b, "  suppressed: %s (%s)\n", f.Suppression.Reason, f.Suppression.Origin)
		} else if f.Fix != "" {
			b.WriteString("  fix: " + f.Fix + "\n")
		}
	}
	return b.String()
}

func inputCases(ps []diag.Problem, sk []diag.Skipped) junitSuite {
	s := junitSuite{Name: inputSuite, Time: "0"}
	for _, p := range ps {
		name := p.File
		if name == "" {
			name = "<input>"
		}
		if p.Line > 0 {
			name += fmt.Sprintf(":%d", p.Line)
		}
		c := junitCase{Name: name, Classname: "kubeward.input", File: p.File, Line: p.Line, Time: "0"}
		if p.Level == diag.Error {
			c.Error = &junitOutcome{Message: problemText(p), Type: "input error"}
		} else {
			c.SystemOut = "warning: " + problemText(p)
		}
		s.Cases = append(s.Cases, c)
	}
	// One case per reason: a repository can hold thousands of files that are
	// not manifests; system-out lists each.
	for _, g := range skippedByReason(sk) {
		s.Cases = append(s.Cases, junitCase{Name: "not scanned: " + g.reason, Classname: "kubeward.skipped", Time: "0",
			Skipped:   &junitOutcome{Message: fmt.Sprintf("%s not scanned: %s", plural(len(g.paths), "input", "inputs"), g.reason)},
			SystemOut: strings.Join(g.paths, "\n")})
	}
	return s
}
