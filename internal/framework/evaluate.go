package framework

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
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
		objects  map[inventory.Ref]bool
	}
	// Only the framework's checks are counted: the controller judges every
	// framework given on all of a cluster's findings at each change.
	byCheck := map[string]*failing{}
	for _, id := range fw.Checks() {
		byCheck[id] = &failing{objects: map[inventory.Ref]bool{}}
	}
	count := func(f *check.Finding) {
		b := byCheck[f.CheckID]
		if b == nil || f.Suppressed() {
			return
		}
		b.findings++
		b.objects[f.Object] = true
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
		objects := map[inventory.Ref]bool{}
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
			b := byCheck[id]
			r.Findings += b.findings
			maps.Copy(objects, b.objects)
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
		for o := range objects {
			r.Refs = append(r.Refs, o)
			r.Objects = append(r.Objects, o.String())
		}
		sort.Sort(byName(r))
		out.Counts[r.Status]++
		out.Controls = append(out.Controls, r)
	}
	if n := out.Counts[Passed] + out.Counts[Failed] + out.Counts[NotChecked]; n > 0 {
		out.Score = float64(out.Counts[Passed]) * 100 / float64(n)
	}
	return out
}

// byName sorts a control's failing objects by name, their refs along.
type byName ControlResult

func (r byName) Len() int { return len(r.Objects) }
func (r byName) Less(i, j int) bool {
	return cmp.Or(strings.Compare(r.Objects[i], r.Objects[j]), strings.Compare(r.Refs[i].APIVersion, r.Refs[j].APIVersion)) < 0
}
func (r byName) Swap(i, j int) {
	r.Objects[i], r.Objects[j] = r.Objects[j], r.Objects[i]
	r.Refs[i], r.Refs[j] = r.Refs[j], r.Refs[i]
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
