// Package scan runs checks over an inventory: it is the engine behind the
// CLI's file scan and the cluster scan, wiring loaders, the runner and the
// cross-object checks together.
package scan

import (
	"slices"
	"sort"

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
	// Mode is where the objects come from; it decides whether an absent
	// subject (the control plane, the kubelet) is a coverage gap.
	Mode Mode
	// Unreadable are the kinds a cluster scan could not list: cross-object
	// checks that need one do not run, the others run on what was read.
	Unreadable []Unreadable
	// AcceptGaps are gaps the user accepts: still reported, not gating.
	AcceptGaps []AcceptGap
	// Vendored marks the findings in code the user does not own; nil
	// applies the default (a chart's dependencies) alone.
	Vendored *Vendored
}

// Result is everything a report renders.
type Result struct {
	Findings []check.Finding
	Problems []diag.Problem
	Skipped  []diag.Skipped
	Objects  int
	Checks   []string // ids of the checks that ran
	// NoInput are the checks that ran but had nothing to read: the scan
	// held no object of a kind they read, or, for files and node
	// directories, not the component they judge. They do not apply to this
	// input: they neither pass nor fail (JUnit leaves them out, frameworks
	// call their controls not applicable). A cluster without the component
	// a check judges is a coverage gap instead.
	NoInput []string
	// Coverage is what the scan could not read or judge, one gap per
	// cause, the most important first: nothing is called clean because it
	// was not looked at.
	Coverage []Gap
	// UnmatchedAccepts are accepted gaps (--ignore-gap) that did not occur.
	UnmatchedAccepts []AcceptGap
}

// Engine holds one run's runner and problem log.
type Engine struct {
	Runner *check.Runner
	Ctx    *check.Context
	Log    *diag.Log
	opts   Options
	// gaps are the kinds that could not be read and the image checks left
	// out for want of registry access, with the checks they affect.
	gaps []*Gap
}

// New prepares a run. Cross-object checks that need a kind in
// opts.Unreadable are left out: they would answer wrongly.
func New(opts Options) *Engine {
	if opts.CheckOptions == nil {
		opts.CheckOptions = check.DefaultOptions()
	}
	log := &diag.Log{}
	checks, gaps := kindGaps(opts.Checks, opts.CheckOptions, opts.Unreadable)
	if opts.Images == nil {
		// Left out of the runner, so that they keep no workload in memory
		// for nothing; the coverage says they did not run.
		registry := &Gap{ID: GapRegistryAccess, Reason: "registry access is off: `kubeward scan --images` reads the registries", rank: undecidedRank}
		kept := checks[:0]
		for _, c := range checks {
			switch {
			case !c.Images:
				kept = append(kept, c)
			case c.Active == nil || c.Active(opts.CheckOptions):
				registry.NotRun = append(registry.NotRun, c.ID)
			}
		}
		checks = kept
		gaps = append(gaps, registry)
	}
	return &Engine{
		Runner: check.NewRunner(checks, opts.CheckOptions, opts.Suppressions, log),
		Ctx:    check.NewContext(opts.CheckOptions),
		Log:    log,
		opts:   opts,
		gaps:   gaps,
	}
}

// GapRegistryAccess: image checks that need the registries did not run.
const GapRegistryAccess = "registry-access"

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
	return e.Finish(inv, findings), inv, nil
}

// Inventory scans objects that are already loaded (a cluster, a review).
func (e *Engine) Inventory(inv *inventory.Inventory) *Result {
	var findings []check.Finding
	for _, o := range inv.All() {
		findings = append(findings, e.Runner.CheckObject(e.Ctx, o)...)
	}
	return e.Finish(inv, findings)
}

// Finish runs the cross-object checks and builds the result, for loaders
// that ran the object checks on each object themselves (while its parse
// tree was alive): findings are theirs.
func (e *Engine) Finish(inv *inventory.Inventory, findings []check.Finding) *Result {
	if e.opts.Images != nil {
		inv.SetImages(e.opts.Images(inv))
	}
	if e.Runner.HasInventoryChecks() {
		findings = append(findings, e.Runner.CheckInventory(e.Ctx, inv)...)
	}
	// One decision per file (and Helm template), which is all Is reads, not
	// per object or finding.
	type place struct{ file, template string }
	vendored := map[place]bool{}
	for i := range findings {
		src := findings[i].Source
		k := place{src.File, src.Template}
		v, ok := vendored[k]
		if !ok {
			v = e.opts.Vendored.Is(src)
			vendored[k] = v
		}
		findings[i].Vendored = v
	}
	res := &Result{
		Findings: check.Finish(findings),
		Problems: e.Log.Problems(),
		Skipped:  e.Log.Skipped(),
		Objects:  inv.Len(),
		Checks:   e.Runner.Checks(),
		NoInput:  e.NoInput(inv),
	}
	res.Coverage, res.UnmatchedAccepts = e.Coverage(e.Ctx, inv, e.Runner.TakeUndecided())
	return res
}

// NoInput lists the checks of the run that have nothing to read in inv
// (Result.NoInput), for the controller, which runs the checks itself.
func (e *Engine) NoInput(inv *inventory.Inventory) []string {
	return noInput(e.Ctx, e.opts.Checks, e.Runner.Runs, inv, e.opts.Mode)
}

// Coverage is what a run over inv could not read or judge: the kinds it
// could not read and the image checks left out (known from New), the
// subjects inv lacks, and the objects checks could not judge (undecided,
// taken from the runners). Finish reports it; the controller, which runs
// the checks itself, asks for it after each full evaluation.
func (e *Engine) Coverage(ctx *check.Context, inv *inventory.Inventory, undecided []check.Undecided) (coverage []Gap, unmatched []AcceptGap) {
	gaps := append(append(append([]*Gap(nil), e.gaps...),
		subjectGaps(ctx, e.opts.Checks, e.Runner.Runs, inv, e.opts.Mode)...),
		undecidedGaps(undecided)...)
	unmatched = accept(gaps, e.opts.AcceptGaps)
	sortGaps(gaps)
	for _, g := range gaps {
		if g.Checks() > 0 || g.Accepted != nil {
			coverage = append(coverage, *g)
		}
	}
	return coverage, unmatched
}

// ClusterInputs lists the kinds the checks read from a cluster, and those
// of them that no check reads beyond their metadata (listed or watched
// through the metadata API).
func ClusterInputs(checks []*check.Check) (kinds []schema.GroupKind, metadataOnly map[schema.GroupKind]bool) {
	full := map[schema.GroupKind]bool{}
	for _, c := range checks {
		for _, gk := range c.Inputs() {
			if _, seen := full[gk]; !seen {
				kinds = append(kinds, gk)
			}
			full[gk] = full[gk] || c.ReadsContent(gk)
		}
	}
	metadataOnly = map[schema.GroupKind]bool{}
	for gk, content := range full {
		if !content {
			metadataOnly[gk] = true
		}
	}
	return kinds, metadataOnly
}

// noInput lists the selected checks that had nothing to read in inv.
// Checks over the whole inventory without declared inputs always apply.
func noInput(ctx *check.Context, checks []*check.Check, selected func(string) bool, inv *inventory.Inventory, mode Mode) []string {
	var out []string
	present := map[*check.Subject]bool{} // many checks share a subject
	for _, c := range checks {
		if !selected(c.ID) {
			continue
		}
		if s := c.Subject; s != nil {
			// Outside files, an absent subject is a coverage gap (subjectGaps).
			if mode != ModeFiles {
				continue
			}
			ok, seen := present[s]
			if !seen {
				ok = s.Present(ctx, inv)
				present[s] = ok
			}
			if !ok {
				out = append(out, c.ID)
			}
			continue
		}
		in := c.Inputs()
		if c.Images && len(inv.ByKind(inventory.KindImage)) > 0 {
			continue // images judged on their own (kubeward images check)
		}
		if len(in) > 0 && !slices.ContainsFunc(in, func(gk schema.GroupKind) bool { return len(inv.ByKind(gk)) > 0 }) {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
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
