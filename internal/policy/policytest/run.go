package policytest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/policy/vap"
)

// Outcome is the result of one case.
type Outcome struct {
	Case   *Case
	Result *vap.Result // nil when the request could not be formed
	// Failures say why the case failed; empty means it passed.
	Failures []string
	// Error says why the case could not be judged at all: a policy or
	// binding it depends on is one the API server would refuse. Such a
	// case is never a pass.
	Error   string
	Elapsed time.Duration
}

// Passed reports whether the case met its expectations.
func (o *Outcome) Passed() bool { return len(o.Failures) == 0 && o.Error == "" }

// Run evaluates every case of the suite. A case that depends on a policy
// or binding the API server would refuse (every case, unless it names its
// policies) is an error: the refused object takes no part in decisions,
// so whatever the case would say is not what the cluster would do.
func Run(ctx context.Context, set *vap.Set, s *Suite) []Outcome {
	out := make([]Outcome, 0, len(s.Cases))
	for _, c := range s.Cases {
		if rs := set.RefusedFor(c.Policies); len(rs) > 0 {
			out = append(out, Outcome{Case: c, Error: refusedText(rs)})
			continue
		}
		start := time.Now()
		res, err := set.Evaluate(ctx, c.Request)
		o := Outcome{Case: c, Result: res}
		if err != nil {
			o.Failures = []string{"cannot evaluate: " + err.Error()}
		} else {
			o.Failures = Check(c, res)
		}
		o.Elapsed = time.Since(start)
		out = append(out, o)
	}
	return out
}

// Check compares a result with a case's expectations.
func Check(c *Case, r *vap.Result) []string {
	var fails []string
	got := decision(r)
	byValidation, byError := denialCauses(r)
	switch c.Expect {
	case ExpectDeny:
		switch {
		case r.Allowed:
			fails = append(fails, "want deny, got "+got)
		case byError && !byValidation:
			fails = append(fails, "want deny by a validation, got "+got+" (expect: error if the expression is meant to fail)")
		case c.Message != "" && !strings.Contains(r.Message, c.Message):
			fails = append(fails, fmt.Sprintf("denial message %q does not contain %q", r.Message, c.Message))
		}
	case ExpectError:
		switch {
		case r.Allowed || !byError:
			fails = append(fails, "want deny by an expression error (failurePolicy Fail), got "+got)
		case c.Message != "" && !strings.Contains(r.Message, c.Message):
			fails = append(fails, fmt.Sprintf("denial message %q does not contain %q", r.Message, c.Message))
		}
	case ExpectAdmit:
		if !r.Allowed {
			fails = append(fails, "want admit, got "+got)
		}
	case ExpectWarn:
		switch {
		case !r.Allowed:
			fails = append(fails, "want warn, got "+got)
		case len(r.Warnings) == 0:
			fails = append(fails, "want warn, got admit without warnings")
		case c.Message != "" && !anyContains(r.Warnings, c.Message):
			fails = append(fails, fmt.Sprintf("no warning contains %q (warnings: %q)", c.Message, r.Warnings))
		}
	}
	for _, w := range c.Warnings {
		if !anyContains(r.Warnings, w) {
			fails = append(fails, fmt.Sprintf("no warning contains %q (warnings: %q)", w, r.Warnings))
		}
	}
	keys := make([]string, 0, len(c.AuditAnnotations))
	for k := range c.AuditAnnotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := r.AuditAnnotations[k]
		switch {
		case !ok:
			fails = append(fails, fmt.Sprintf("no audit annotation %s", k))
		case !strings.Contains(v, c.AuditAnnotations[k]):
			fails = append(fails, fmt.Sprintf("audit annotation %s is %q, which does not contain %q", k, v, c.AuditAnnotations[k]))
		}
	}
	if !r.Applicable() && len(fails) > 0 {
		fails = append(fails, "no binding applies to this request")
	}
	return fails
}

func refusedText(rs []vap.Refusal) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s %q: %s", r.Kind, r.Name, r.Message))
	}
	return "not evaluated: the API server would refuse " + strings.Join(parts, "; ")
}

// denialCauses says what made the denying bindings deny: a validation
// that evaluated to false (or a missing param, which the policy asks to
// deny), and an expression that failed to evaluate under failurePolicy
// Fail.
func denialCauses(r *vap.Result) (byValidation, byError bool) {
	for _, b := range r.Bindings {
		if b.Outcome != vap.OutcomeDeny {
			continue
		}
		failed := false
		for _, f := range b.Failures {
			if f.Ignored {
				continue
			}
			failed = true
			if f.Error {
				byError = true
			} else {
				byValidation = true
			}
		}
		byValidation = byValidation || !failed
	}
	return byValidation, byError
}

func decision(r *vap.Result) string {
	switch byValidation, byError := denialCauses(r); {
	case !r.Allowed && byError && !byValidation:
		return "deny by an expression error: " + r.Message
	case !r.Allowed:
		return "deny: " + r.Message
	case len(r.Warnings) > 0:
		return fmt.Sprintf("admit with warnings %q", r.Warnings)
	case !r.Applicable():
		return "admit (no binding applies)"
	}
	return "admit"
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// SuiteOutcome is a suite with the outcomes of its cases.
type SuiteOutcome struct {
	Suite    *Suite
	Outcomes []Outcome
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the outcomes as JUnit XML, one testsuite per file.
func WriteJUnit(w io.Writer, suites []SuiteOutcome) error {
	doc := junitSuites{Name: "kubeward policy test"}
	for _, s := range suites {
		js := junitSuite{Name: s.Suite.File}
		var total time.Duration
		for _, o := range s.Outcomes {
			total += o.Elapsed
			jc := junitCase{Name: o.Case.Name, ClassName: s.Suite.File, File: s.Suite.File, Line: o.Case.Line, Time: seconds(o.Elapsed)}
			switch {
			case o.Error != "":
				jc.Error = &junitFailure{Message: o.Error, Type: "PolicyTestError", Text: o.Error}
				js.Errors++
			case !o.Passed():
				jc.Failure = &junitFailure{Message: o.Failures[0], Type: "PolicyTestFailure", Text: strings.Join(o.Failures, "\n")}
				js.Failures++
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Tests, js.Time = len(js.Cases), seconds(total)
		doc.Tests += js.Tests
		doc.Failures += js.Failures
		doc.Errors += js.Errors
		doc.Suites = append(doc.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
