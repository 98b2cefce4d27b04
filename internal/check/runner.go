package check

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Runner runs a selection of checks. It is safe for concurrent use: the scan
// calls CheckObject from several loaders at once.
type Runner struct {
	byKind    map[schema.GroupKind][]*Check
	pod       []*Check
	inventory []*Check
	selected  map[string]bool
	known     map[string]bool // ids of the checks given, registered or not (custom checks)
	suppress  *Suppressions
	log       *diag.Log

	mu        sync.Mutex
	undecided []Undecided
}

// NewRunner prepares checks for a run with these options; checks that are
// not Active under them are dropped. log receives problems found while
// checking (bad suppression annotations, a check that failed).
func NewRunner(checks []*Check, opts *Options, sup *Suppressions, log *diag.Log) *Runner {
	r := &Runner{byKind: map[schema.GroupKind][]*Check{}, selected: map[string]bool{}, known: map[string]bool{}, suppress: sup, log: log}
	if r.log == nil {
		r.log = &diag.Log{}
	}
	for _, c := range checks {
		r.known[c.ID] = true
		if c.Active != nil && !c.Active(opts) {
			continue
		}
		r.selected[c.ID] = true
		switch {
		case c.Object != nil:
			for _, gk := range c.Kinds {
				r.byKind[gk] = append(r.byKind[gk], c)
			}
		case c.Pod != nil:
			r.pod = append(r.pod, c)
		default:
			r.inventory = append(r.inventory, c)
		}
	}
	return r
}

// Checks returns the ids of the checks that will run.
func (r *Runner) Checks() []string {
	out := make([]string, 0, len(r.selected))
	for id := range r.selected {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Runs reports whether the check with this id runs (it was given and is
// Active under the options).
func (r *Runner) Runs(id string) bool { return r.selected[id] }

// ReadsContent reports whether a check reads more than the metadata of
// objects of this kind. Loaders parse other kinds for metadata only.
func (r *Runner) ReadsContent(gk schema.GroupKind) bool {
	if len(r.byKind[gk]) > 0 {
		return true
	}
	if len(r.pod) > 0 && slices.Contains(inventory.WorkloadKinds, gk) {
		return true
	}
	for _, c := range r.inventory {
		if c.ReadsContent(gk) {
			return true
		}
	}
	return false
}

// InventoryReads reports whether a cross-object check reads objects of this
// kind; the others need not be kept in full once their own checks ran.
func (r *Runner) InventoryReads(gk schema.GroupKind) bool {
	for _, c := range r.inventory {
		if slices.Contains(c.Needs, gk) || slices.Contains(c.MetadataOf, gk) {
			return true
		}
	}
	return false
}

// TakeUndecided returns the objects checks could not judge since the last
// call, sorted, and forgets them: a runner reused across requests (the
// webhook's pool) must not accumulate them.
func (r *Runner) TakeUndecided() []Undecided {
	r.mu.Lock()
	out := r.undecided
	r.undecided = nil
	r.mu.Unlock()
	SortUndecided(out)
	return out
}

// HasInventoryChecks reports whether CheckInventory has anything to do.
func (r *Runner) HasInventoryChecks() bool { return len(r.inventory) > 0 }

type pending struct {
	check  *Check
	result Result
	pod    *inventory.Pod
}

// CheckObject runs the object and pod checks on one object.
func (r *Runner) CheckObject(ctx *Context, o *inventory.Object) []Finding {
	r.reportAnnotations(o, o.Meta.Annotations)
	// Results gather on the stack: a typical pod gives a dozen, and growing
	// a slice to hold them took five allocations per review.
	var buf [16]pending
	ps := buf[:0]
	for _, c := range r.byKind[o.GroupKind()] {
		for _, res := range r.safely(c, o, func() []Result { return c.Object(ctx, o) }) {
			ps = append(ps, pending{check: c, result: res})
		}
	}
	pods := o.Pods()
	if o.Controller != nil {
		pods = nil // checked on the controller's template
	}
	for _, p := range pods {
		if p.Meta != &o.Meta {
			r.reportAnnotations(o, p.Meta.Annotations)
		}
		for _, c := range r.pod {
			for _, res := range r.safely(c, o, func() []Result { return c.Pod(ctx, p) }) {
				ps = append(ps, pending{check: c, result: res, pod: p})
			}
		}
	}
	return r.findings(o, ps)
}

// parallelFrom is the inventory size from which the cross-object checks run
// concurrently. Below it a check takes microseconds and starting and waking
// a goroutine per check costs more than it saves: an admission review (one
// object, seven image checks) spent a third of its CPU on goroutine wake-ups
// at 5,000 reviews/s.
const parallelFrom = 64

// CheckInventory runs the cross-object checks, concurrently on a large
// inventory.
func (r *Runner) CheckInventory(ctx *Context, inv *inventory.Inventory) []Finding {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		byObj = map[*inventory.Object][]pending{}
		sem   = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	run := func(c *Check) {
		res := r.safely(c, nil, func() []Result { return c.Inventory(ctx, inv) })
		mu.Lock()
		defer mu.Unlock()
		for _, x := range res {
			if x.Object == nil {
				r.log.Problem(diag.Problem{Level: diag.Error, Message: fmt.Sprintf("check %s reported a result without an object (a bug)", c.ID)})
				continue
			}
			byObj[x.Object] = append(byObj[x.Object], pending{check: c, result: x, pod: x.Pod})
		}
	}
	for _, c := range r.inventory {
		if c.Images && inv.Images() == nil {
			continue // not run: the caller reports the coverage gap
		}
		if inv.Len() < parallelFrom {
			run(c)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			run(c)
		}()
	}
	wg.Wait()
	var out []Finding
	for o, ps := range byObj {
		out = append(out, r.findings(o, ps)...)
	}
	return out
}

// safely turns a check's panic into a reported problem: one odd object must
// not end the scan of all others.
func (r *Runner) safely(c *Check, o *inventory.Object, run func() []Result) (res []Result) {
	defer func() {
		if p := recover(); p != nil {
			where := ""
			if o != nil {
				where = " on " + o.Ref.String()
			}
			r.log.Problem(diag.Problem{Level: diag.Error, File: sourceFile(o),
				Message: fmt.Sprintf("check %s failed%s: %v (a bug; please report it)\n%s", c.ID, where, p, debug.Stack())})
			res = nil
		}
	}()
	return run()
}

func sourceFile(o *inventory.Object) string {
	if o == nil {
		return ""
	}
	return o.Source.File
}

func (r *Runner) findings(o *inventory.Object, ps []pending) []Finding {
	ps = r.divertUndecided(o, ps)
	if len(ps) == 0 {
		return nil
	}
	var pos []inventory.Position // none without a locator (a review, a cluster)
	if o.Locator != nil {
		paths := make([]*fieldpath.Path, len(ps))
		for i := range ps {
			paths[i] = ps[i].result.Path
		}
		pos = o.Locate(paths)
	}
	out := make([]Finding, 0, len(ps))
	for i, p := range ps {
		target := o
		if p.result.Object != nil {
			target = p.result.Object
		}
		f := Finding{
			CheckID:  p.check.ID,
			Title:    p.check.Title,
			Severity: p.check.Severity,
			Category: p.check.Category,
			Object:   target.Ref,
			Source:   target.Source,
			Path:     p.result.Path.String(),
			Image:    p.result.Image,
			Message:  p.result.Message,
			Fix:      p.check.Fix,
			cause:    p.result.Cause,
			facet:    p.result.Facet,
			leads:    p.result.Leads,
		}
		if pos != nil {
			f.Position = pos[i]
		}
		if p.result.Severity != SeverityUnknown {
			f.Severity = p.result.Severity
		}
		if p.result.Fix != "" {
			f.Fix = p.result.Fix
		}
		if p.result.Line > 0 {
			f.Position.Line, f.Position.Column = p.result.Line, 0
		}
		var podAnn map[string]string
		if p.pod != nil && p.pod.Meta != &target.Meta {
			podAnn = p.pod.Meta.Annotations
		}
		f.Suppression = r.suppress.Match(&f, target.Meta.Annotations, podAnn)
		if f.Suppression != nil && f.Suppression.Expired {
			f.Message += fmt.Sprintf(" (suppression expired on %s: %s)", f.Suppression.Expires, f.Suppression.Reason)
		}
		out = append(out, f)
	}
	return out
}

// divertUndecided keeps the results that are findings and records the
// others, which say a check could not judge an object, for the coverage
// report.
func (r *Runner) divertUndecided(o *inventory.Object, ps []pending) []pending {
	kept := ps[:0]
	for _, p := range ps {
		if p.result.Undecided == "" {
			kept = append(kept, p)
			continue
		}
		target := o
		if p.result.Object != nil {
			target = p.result.Object
		}
		r.mu.Lock()
		r.undecided = append(r.undecided, Undecided{Check: p.check.ID, Gap: p.result.Undecided, Object: target.Ref, Reason: p.result.Message})
		r.mu.Unlock()
	}
	return kept
}

func (r *Runner) reportAnnotations(o *inventory.Object, ann map[string]string) {
	if len(ann) == 0 {
		return
	}
	for _, msg := range annotationProblems(ann, func(id string) bool { _, ok := Get(id); return ok || r.known[id] }) {
		r.log.Problem(diag.Problem{Level: diag.Warning, File: o.Source.File, Line: o.Source.Line, Object: o.Ref.String(), Message: msg})
	}
}
