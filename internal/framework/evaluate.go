package framework

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

// Status is a control's result in one scan.
type Status string

const (
	// Passed: every check of the control ran on its input and found nothing.
	Passed Status = "passed"
	// Failed: a check of the control has an unsuppressed finding.
	Failed Status = "failed"
	// NotApplicable: the input holds nothing the control's checks read
	// (control-plane controls on application manifests).
	NotApplicable Status = "not-applicable"
	// NotChecked: coverage left a check of the control out or partial (a
	// kind the identity could not read, a component not visible): the
	// control is not called passed for what was not looked at.
	NotChecked Status = "not-checked"
	// Manual: no check decides the control; Control.Manual says why.
	Manual Status = "manual"
)

// Statuses lists the statuses in the order reports show them.
var statuses = []Status{Failed, NotChecked, Passed, NotApplicable, Manual}

// Statuses returns the statuses in report order.
func Statuses() []Status { return slices.Clone(statuses) }

// ControlResult is one control's result.
type ControlResult struct {
	Control
	Status Status `json:"status"`
	// Findings counts the unsuppressed findings of its checks.
	Findings int `json:"findings,omitempty"`
	// Objects are the failing objects ("Deployment/shop/web"), sorted;
	// Refs the same objects, in the same order, for reports that name
	// objects by API version (the controller's policy reports).
	Objects []string        `json:"failingObjects,omitempty"`
	Refs    []inventory.Ref `json:"-"`
	// Reason says why a control was not checked (the coverage gaps).
	Reason string `json:"reason,omitempty"`
}

// Result is a framework's result in one scan.
type Result struct {
	Framework *Framework      `json:"-"`
	Controls  []ControlResult `json:"controls"`
	// Counts are the controls by status.
	Counts map[Status]int `json:"counts"`
	// Score is the share of assessed controls that passed, in percent:
	// passed / (passed + failed + not checked). Controls that were not
	// checked count against it (unverified is not compliant); not
	// applicable and manual controls do not count.
	Score float64 `json:"score"`
}

// Evaluate computes each control's result from the scan's findings and
// coverage.
func Evaluate(fw *Framework, res *scan.Result) *Result {
	ran := map[string]bool{}
	for _, id := range res.Checks {
		ran[id] = true
	}
	noInput := map[string]bool{}
	for _, id := range res.NoInput {
		noInput[id] = true
	}
	gaps := map[string]scan.CheckCoverage{}
	for _, c := range res.CheckCoverage() {
		gaps[c.Check] = c
	}
	// A component the user accepted as absent (--ignore-gap control-plane
	// on a managed cluster) leaves its checks nothing to judge: their
	// controls do not apply, they did not pass.
	for _, g := range res.Coverage {
		if g.Accepted != nil {
			for _, id := range g.NothingToJudge {
				noInput[id] = true
			}
			for _, id := range slices.Concat(g.NotRun, g.Partial) {
				gaps[id] = scan.CheckCoverage{Check: id, Reason: "accepted gap " + g.ID + ": " + g.Reason}
			}
		}
	}
	type failing struct {
		findings int
		objects  map[string]inventory.Ref
	}
	byCheck := map[string]*failing{}
	count := func(f *check.Finding) {
		if f.Suppressed() {
			return
		}
		b := byCheck[f.CheckID]
		if b == nil {
			b = &failing{objects: map[string]inventory.Ref{}}
			byCheck[f.CheckID] = b
		}
		b.findings++
		b.objects[f.Object.String()] = f.Object
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		count(f)
		// A finding folded into another of the same root cause still fails
		// its own check's controls.
		for j := range f.Folded {
			count(&f.Folded[j])
		}
	}

	out := &Result{Framework: fw, Counts: map[Status]int{}}
	for _, c := range fw.Controls {
		r := ControlResult{Control: c}
		objects := map[string]inventory.Ref{}
		var reasons []string
		applicable := false
		notChecked := false
		// A check that steps aside for another under the options (the
		// Pod Security level's own check) leaves the control to the others;
		// when none of them ran, nobody looked.
		if !slices.ContainsFunc(c.Checks, func(id string) bool { return ran[id] }) && len(c.Checks) > 0 {
			notChecked = true
			reasons = append(reasons, "none of its checks ran under this scan's options ("+strings.Join(c.Checks, ", ")+")")
		}
		for _, id := range c.Checks {
			if b := byCheck[id]; b != nil {
				r.Findings += b.findings
				maps.Copy(objects, b.objects)
			}
			switch g, gap := gaps[id]; {
			case !ran[id]:
			case gap:
				notChecked = true
				reasons = append(reasons, id+": "+g.Reason)
			case !noInput[id]:
				applicable = true
			}
		}
		switch {
		case len(c.Checks) == 0:
			r.Status = Manual
		case r.Findings > 0:
			r.Status = Failed
		case notChecked:
			r.Status = NotChecked
			r.Reason = joinReasons(reasons)
		case applicable:
			r.Status = Passed
		default:
			r.Status = NotApplicable
		}
		r.Objects = slices.Sorted(maps.Keys(objects))
		for _, o := range r.Objects {
			r.Refs = append(r.Refs, objects[o])
		}
		out.Counts[r.Status]++
		out.Controls = append(out.Controls, r)
	}
	if n := out.Counts[Passed] + out.Counts[Failed] + out.Counts[NotChecked]; n > 0 {
		out.Score = float64(out.Counts[Passed]) * 100 / float64(n)
	}
	return out
}

// joinReasons keeps the first reasons of a control checked by many checks:
// the coverage section lists every gap.
func joinReasons(rs []string) string {
	const keep = 3
	if len(rs) <= keep {
		return strings.Join(rs, "; ")
	}
	return strings.Join(rs[:keep], "; ") + fmt.Sprintf("; and %d more", len(rs)-keep)
}
