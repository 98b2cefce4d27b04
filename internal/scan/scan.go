// Package scan runs checks over an inventory: it is the engine behind the
// CLI's file scan and the cluster scan, wiring loaders, the runner and the
// cross-object checks together.
package scan

import (
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Options configure a scan.
type Options struct {
	Checks       []*check.Check
	CheckOptions *check.Options
	Suppressions *check.Suppressions
	// Images learns the facts about the inventory's images from their
	// registries (scan --images); nil leaves the image checks that need
	// them unrun, and says so in the coverage.
	Images func(*inventory.Inventory) *facts.Set
}

// Result is everything a report renders.
type Result struct {
	Findings []check.Finding
	Problems []diag.Problem
	Skipped  []diag.Skipped
	Objects  int
	Checks   []string // ids of the checks that ran
	// Coverage lists checks that could not run, for scans that could not
	// read everything (a cluster scan with a restricted identity).
	Coverage []Gap
}

// Gap is a check that did not run, with the reason.
type Gap struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// Engine holds one run's runner and problem log.
type Engine struct {
	Runner *check.Runner
	Ctx    *check.Context
	Log    *diag.Log
	opts   Options
	// imageGaps are the image checks left out for want of registry access.
	imageGaps []Gap
}

// New prepares a run.
func New(opts Options) *Engine {
	if opts.CheckOptions == nil {
		opts.CheckOptions = check.DefaultOptions()
	}
	log := &diag.Log{}
	checks, gaps := opts.Checks, []Gap(nil)
	if opts.Images == nil {
		// Left out of the runner, so that they keep no workload in memory
		// for nothing; the coverage says they did not run.
		checks = nil
		for _, c := range opts.Checks {
			switch {
			case !c.Images:
				checks = append(checks, c)
			case c.Active == nil || c.Active(opts.CheckOptions):
				gaps = append(gaps, Gap{Check: c.ID, Reason: "not run: registry access is off (scan --images reads the registries)"})
			}
		}
	}
	return &Engine{
		Runner:    check.NewRunner(checks, opts.CheckOptions, opts.Suppressions, log),
		Ctx:       check.NewContext(opts.CheckOptions),
		Log:       log,
		opts:      opts,
		imageGaps: gaps,
	}
}

// Files scans paths through the loader. The error is the loader's: a
// path that does not exist, input with nothing to judge, or a render that
// ran away; the result is then nil.
func (e *Engine) Files(l *loader.Loader, paths []string) (*Result, *inventory.Inventory, error) {
	type batch struct {
		objs     []*inventory.Object
		findings []check.Finding
	}
	batches := make([]batch, l.Workers())
	_, err := l.Load(paths, e.Runner.ReadsContent, e.Log, func(w int, o *inventory.Object) {
		b := &batches[w]
		// Object checks run while the parse tree is alive: positions are exact and cheap.
		b.findings = append(b.findings, e.Runner.CheckObject(e.Ctx, o)...)
		forgetSecretValues(o)
		if !e.Runner.InventoryReads(o.GroupKind()) {
			o.Slim()
		}
		b.objs = append(b.objs, o)
	})
	if err != nil {
		return nil, nil, err
	}
	inv := inventory.NewInventory()
	var findings []check.Finding
	for _, b := range batches {
		for _, o := range b.objs {
			inv.Add(o)
		}
		findings = append(findings, b.findings...)
	}
	inv.Sort()
	return e.finish(inv, findings), inv, nil
}

// Inventory scans objects that are already loaded (a cluster, a review).
func (e *Engine) Inventory(inv *inventory.Inventory) *Result {
	var findings []check.Finding
	for _, o := range inv.All() {
		findings = append(findings, e.Runner.CheckObject(e.Ctx, o)...)
	}
	return e.finish(inv, findings)
}

func (e *Engine) finish(inv *inventory.Inventory, findings []check.Finding) *Result {
	if e.opts.Images != nil {
		inv.SetImages(e.opts.Images(inv))
	}
	if e.Runner.HasInventoryChecks() {
		findings = append(findings, e.Runner.CheckInventory(e.Ctx, inv)...)
	}
	check.SortFindings(findings)
	return &Result{
		Coverage: e.imageGaps,
		Findings: findings,
		Problems: e.Log.Problems(),
		Skipped:  e.Log.Skipped(),
		Objects:  inv.Len(),
		Checks:   e.Runner.Checks(),
	}
}

// forgetSecretValues drops the values of a Secret once the object checks
// have seen it: cross-object checks need only its keys, and a value that is
// not in memory cannot leak into a report or a crash dump.
func forgetSecretValues(o *inventory.Object) {
	s, ok := o.Typed.(*corev1.Secret)
	if !ok {
		return
	}
	for k := range s.Data {
		s.Data[k] = nil
	}
	for k := range s.StringData {
		s.StringData[k] = ""
	}
}

// Coverage maps the kinds a scan could not read onto the checks that read
// them. Cross-object checks missing an input cannot give a true answer and
// do not run; object and pod checks run on what was read. Either way the
// gap is reported: nothing is called clean because it was unreadable.
func Coverage(checks []*check.Check, unreadable map[schema.GroupKind]string) (runnable []*check.Check, gaps []Gap) {
	for _, c := range checks {
		var missing []string
		for _, gk := range c.Inputs() {
			if reason, ok := unreadable[gk]; ok {
				missing = append(missing, reason)
			}
		}
		if len(missing) == 0 {
			runnable = append(runnable, c)
			continue
		}
		sort.Strings(missing)
		reason := strings.Join(missing, "; ")
		if c.Inventory != nil {
			gaps = append(gaps, Gap{Check: c.ID, Reason: "not run: " + reason})
			continue
		}
		runnable = append(runnable, c)
		gaps = append(gaps, Gap{Check: c.ID, Reason: "partial: " + reason})
	}
	return runnable, gaps
}
