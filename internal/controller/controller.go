// Package controller keeps a cluster's posture current: it watches the kinds
// the selected checks read, re-runs the object and pod checks of each object
// that changes and the cross-object checks that read its kind, and writes
// the findings as policy reports (internal/report/policyreport) and
// Prometheus metrics. It is a door on the engine of `scan --cluster`: the
// same checks, runner, suppressions and coverage, fed incrementally.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// GCPercent is the garbage collector's growth target for the controller
// (the controller command sets it unless GOGC is set). It holds a large
// live heap (informers, findings) and is idle between changes, so
// collecting at 50% growth instead of Go's 100% costs little CPU and keeps
// the resident memory at 20,000 objects under 300 MiB: 258 MiB against 332
// MiB (BenchmarkControllerRSS, docs/PERFORMANCE.md).
const GCPercent = 50

// Options configure a controller.
type Options struct {
	Config  *rest.Config
	Context string // the cluster's name in findings' sources
	// Checks, CheckOptions and Suppressions are those of a scan (the
	// configuration file and flags, prepared as `scan` prepares them).
	Checks       []*check.Check
	CheckOptions *check.Options
	Suppressions *check.Suppressions
	// AcceptGaps are coverage gaps the configuration accepts (reported,
	// marked accepted).
	AcceptGaps []scan.AcceptGap
	// Images learns the facts of the inventory's images (the opt-in
	// registry door of `scan --images`); nil leaves the image checks that
	// need them unrun, reported as coverage gaps.
	Images func(*inventory.Inventory) *facts.Set
	// Frameworks are judged from the findings and coverage and exported as
	// metrics (`scan --framework`'s results), once per change of them.
	Frameworks []*framework.Framework

	Flavor policyreport.Flavor
	// Debounce is how long changes gather before they are evaluated, and
	// evaluated changes before reports are written (default 200ms).
	Debounce time.Duration
	// Resync is the period of full evaluations (default 1h): every object
	// again, with the day's suppression expiries.
	Resync time.Duration
	// Writers is how many reports are written at once (default 4).
	Writers int
	// Election, when set, lets only the elected replica write.
	Election *Election
	Log      *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
}

// objKey names an object of the watch.
type objKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

func (k objKey) cacheKey() string {
	if k.namespace == "" {
		return k.name
	}
	return k.namespace + "/" + k.name
}

func keyOf(r inventory.Ref) objKey {
	return objKey{r.GroupKind(), r.Namespace, r.Name}
}

// scope is the namespace the object's cross-object results belong to: its
// own, or the one a Namespace object names; "" for the other cluster-scoped
// objects, whose change re-runs a check over everything.
func (k objKey) scope() string {
	if k.namespace == "" && k.gk == inventory.KindNamespace {
		return k.name
	}
	return k.namespace
}

// crossKey is a change a cross-object check may have to answer: the kind
// changed, and the scope of the object.
type crossKey struct {
	gk    schema.GroupKind
	scope string
}

// namespaceLocal reports whether a check can be re-run over one namespace
// alone (check.Check.NamespaceLocal); a check that judges each object on
// its own is.
func namespaceLocal(ch *check.Check) bool { return ch.NamespaceLocal || ch.EachObject }

// Controller is one running controller.
type Controller struct {
	opts    Options
	log     *slog.Logger
	watched *cluster.Watched
	engine  *scan.Engine
	// crossByKind lists the cross-object checks that read each kind.
	crossByKind map[schema.GroupKind][]*check.Check
	cross       []*check.Check
	metrics     *metrics
	writer      *writer

	mu sync.Mutex
	// objects are the objects as last evaluated; children the objects that
	// name each as their controller, re-judged when it comes or goes.
	objects  map[objKey]*inventory.Object
	children map[objKey]map[objKey]bool
	// objFindings are the object and pod checks' findings by namespace and
	// object; crossFindings the cross-object checks' by check and namespace.
	objFindings   map[string]map[objKey][]check.Finding
	crossFindings map[string]map[string][]check.Finding
	// coverage is what the last full evaluation could not read or judge;
	// ran the checks that run and noInput those of them that had nothing
	// to read then, as a scan's result says them.
	coverage []scan.Gap
	ran      []string
	noInput  []string
	lastFull time.Time
	// gen counts the changes of findings and coverage; posture is what the
	// metrics and framework reports derive from them, kept until gen
	// moves on (metrics.go); postureMu lets one derive it at a time.
	gen       uint64
	posture   *posture
	postureMu sync.Mutex

	changed    queue[objKey]
	crossDirty queue[crossKey]
	ready      atomic.Bool
}

// New prepares a controller; Run starts it.
func New(opts Options) *Controller {
	if opts.CheckOptions == nil {
		opts.CheckOptions = check.DefaultOptions()
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 200 * time.Millisecond
	}
	if opts.Resync <= 0 {
		opts.Resync = time.Hour
	}
	if opts.Writers <= 0 {
		opts.Writers = 4
	}
	if opts.Flavor.Kind == "" {
		opts.Flavor = policyreport.OpenReports
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		opts:          opts,
		log:           opts.Log,
		objects:       map[objKey]*inventory.Object{},
		children:      map[objKey]map[objKey]bool{},
		objFindings:   map[string]map[objKey][]check.Finding{},
		crossFindings: map[string]map[string][]check.Finding{},
		changed:       newQueue[objKey](),
		crossDirty:    newQueue[crossKey](),
	}
	c.metrics = newMetrics(c)
	c.writer = newWriter(c)
	return c
}

// Ready reports whether the first full evaluation is done.
func (c *Controller) Ready() error {
	if !c.ready.Load() {
		return errors.New("the first evaluation is not done")
	}
	return nil
}

// Run watches, evaluates and writes until ctx ends, then stops its loops
// and returns; an error means it could not start, or lost its leadership.
func (c *Controller) Run(ctx context.Context) error {
	if c.opts.Registerer != nil {
		if err := c.metrics.register(c.opts.Registerer); err != nil {
			return err
		}
	}
	if err := c.writer.check(ctx); err != nil {
		return err
	}
	kinds, metaOnly := scan.ClusterInputs(c.opts.Checks)
	w := &cluster.Watch{
		Loader:  cluster.Loader{Config: c.opts.Config, Context: c.opts.Context, MetadataOnly: metaOnly},
		Changed: c.objectChanged,
	}
	watched, err := w.Start(ctx, kinds)
	if err != nil {
		return err
	}
	c.watched = watched
	if watched.ServerVersion != nil {
		c.opts.CheckOptions.ServerVersion = watched.ServerVersion.GitVersion
	}
	unreadable := make([]scan.Unreadable, len(watched.Failures))
	for i, f := range watched.Failures {
		unreadable[i] = scan.Unreadable(f)
	}
	c.engine = scan.New(scan.Options{Checks: c.opts.Checks, CheckOptions: c.opts.CheckOptions, Suppressions: c.opts.Suppressions,
		Images: c.opts.Images, Mode: scan.ModeCluster, Unreadable: unreadable, AcceptGaps: c.opts.AcceptGaps})
	c.crossByKind = map[schema.GroupKind][]*check.Check{}
	for _, ch := range c.opts.Checks {
		if ch.Inventory == nil || !c.engine.Runner.Runs(ch.ID) {
			continue
		}
		c.cross = append(c.cross, ch)
		for _, gk := range ch.Inputs() {
			c.crossByKind[gk] = append(c.crossByKind[gk], ch)
		}
	}
	c.log.Info("watching", "kinds", len(watched.Kinds()), "unreadable", len(watched.Failures), "checks", len(c.engine.Runner.Checks()),
		"crossObjectChecks", len(c.cross), "reports", c.opts.Flavor.GroupVersion.String())
	if err := watched.WaitForSync(ctx); err != nil {
		return err
	}
	c.changed.take() // the initial list: the full evaluation reads it all
	c.full()
	c.ready.Store(true)
	c.log.Info("first evaluation done", "objects", c.objectCount())

	var wg sync.WaitGroup
	loops := []func(context.Context){c.objectLoop, c.crossLoop, c.resyncLoop}
	for _, loop := range loops {
		wg.Add(1)
		go func() { defer wg.Done(); loop(ctx) }()
	}
	err = c.lead(ctx)
	wg.Wait()
	c.log.Info("stopped")
	return err
}

// objectChanged is the informers' event handler: it only queues.
func (c *Controller) objectChanged(gk schema.GroupKind, key string) {
	k := objKey{gk: gk, name: key}
	if ns, name, ok := strings.Cut(key, "/"); ok {
		k.namespace, k.name = ns, name
	}
	c.changed.add(k, time.Now())
}

// objectLoop evaluates changed objects in batches.
func (c *Controller) objectLoop(ctx context.Context) {
	for c.changed.wait(ctx, c.opts.Debounce) {
		batch := c.changed.take()
		start := time.Now()
		// A context per batch: checks memoize per run, and a long-lived
		// one would keep every object it ever saw.
		cctx := check.NewContext(c.opts.CheckOptions)
		for k, at := range batch {
			c.evaluate(cctx, k, at)
		}
		// Coverage is refreshed by full evaluations; what a batch could not
		// judge is dropped, or the runner would keep it for ever.
		c.engine.Runner.TakeUndecided()
		c.metrics.evaluation.WithLabelValues("objects").Observe(time.Since(start).Seconds())
	}
}

// evaluate re-runs the object and pod checks of one object, or forgets it.
func (c *Controller) evaluate(cctx *check.Context, k objKey, at time.Time) {
	o, ok, err := c.watched.Object(k.gk, k.cacheKey())
	if err != nil {
		c.log.Warn("object not read", "kind", k.gk.String(), "key", k.cacheKey(), "error", err.Error())
		return
	}
	var findings []check.Finding
	if ok {
		c.link(o)
		findings = c.engine.Runner.CheckObject(cctx, o)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The posture (metrics, framework reports) moves on only when the
	// findings do: most updates (status, replicas, annotations) change none.
	if !sameFindings(c.objFindings[k.namespace][k], findings) {
		c.gen++
	}
	old, existed := c.objects[k]
	if ok {
		c.objects[k] = o
		c.adopt(k, o, old)
		byNS := c.objFindings[k.namespace]
		if byNS == nil {
			byNS = map[objKey][]check.Finding{}
			c.objFindings[k.namespace] = byNS
		}
		if len(findings) > 0 {
			byNS[k] = findings
		} else {
			delete(byNS, k)
		}
	} else {
		delete(c.objects, k)
		c.adopt(k, nil, old)
		delete(c.objFindings[k.namespace], k)
	}
	// Children judged through this object, or on their own without it.
	if existed != ok && slices.Contains(inventory.WorkloadKinds, k.gk) {
		for child := range c.children[k] {
			c.changed.add(child, at)
		}
	}
	c.writer.dirty(k.namespace, at)
	if k.gk == inventory.KindNamespace {
		c.writer.dirty(k.name, at)
	}
	if len(c.crossByKind[k.gk]) > 0 {
		c.crossDirty.add(crossKey{k.gk, k.scope()}, at)
	}
}

// link marks an object run by a controller that is watched too, as the
// cluster loader does: pod checks then judge the controller's template.
func (c *Controller) link(o *inventory.Object) {
	ref, ok := cluster.ControllerOf(o)
	if ok && slices.Contains(inventory.WorkloadKinds, ref.GroupKind()) && c.watched.Has(ref.GroupKind(), o.Namespace, ref.Name) {
		o.Controller = &ref
	}
}

// adopt keeps the children index: which objects name k as controller.
func (c *Controller) adopt(k objKey, o, old *inventory.Object) {
	owner := func(o *inventory.Object) (objKey, bool) {
		if o == nil {
			return objKey{}, false
		}
		ref, ok := cluster.ControllerOf(o)
		return keyOf(ref), ok
	}
	if ok, had := owner(old); had {
		delete(c.children[ok], k)
		if len(c.children[ok]) == 0 {
			delete(c.children, ok)
		}
	}
	if ok, has := owner(o); has {
		if c.children[ok] == nil {
			c.children[ok] = map[objKey]bool{}
		}
		c.children[ok][k] = true
	}
}

// crossLoop re-runs the cross-object checks that read the kinds changed:
// a namespace-local check over the namespaces changed, each alone; the
// others over a snapshot of every object. One burst at a time, changes
// meanwhile gathering for the next.
func (c *Controller) crossLoop(ctx context.Context) {
	for c.crossDirty.wait(ctx, c.opts.Debounce) {
		var global []*check.Check
		var at time.Time
		scoped := map[string][]*check.Check{}
		scopedAt := map[string]time.Time{}
		for k, t := range c.crossDirty.take() {
			at = earliest(at, t)
			for _, ch := range c.crossByKind[k.gk] {
				if !namespaceLocal(ch) || k.scope == "" {
					global = appendNew(global, ch)
					continue
				}
				scoped[k.scope] = appendNew(scoped[k.scope], ch)
				scopedAt[k.scope] = earliest(scopedAt[k.scope], t)
			}
		}
		// A check run over everything answers for every namespace.
		for ns, checks := range scoped {
			checks = slices.DeleteFunc(checks, func(ch *check.Check) bool { return slices.Contains(global, ch) })
			if len(checks) == 0 {
				delete(scoped, ns)
			} else {
				scoped[ns] = checks
			}
		}
		// The quick runs first: their namespaces' reports need not wait.
		if len(scoped) > 0 {
			c.runScoped(scoped, scopedAt)
		}
		if len(global) > 0 {
			c.runCross(global, at)
		}
	}
}

func appendNew(checks []*check.Check, ch *check.Check) []*check.Check {
	if slices.Contains(checks, ch) {
		return checks
	}
	return append(checks, ch)
}

// earliest is the earlier of two change times; zero (no change) is later
// than any.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// runScoped re-runs namespace-local checks, per namespace, over that
// namespace's objects and the cluster-scoped ones they read, and replaces
// their findings in that namespace: by check.Check.NamespaceLocal these are
// the findings a run over every object would give there.
func (c *Controller) runScoped(byNS map[string][]*check.Check, at map[string]time.Time) {
	start := time.Now()
	// Cluster-scoped objects of the kinds the checks read: a check that
	// judges each object on its own needs none of them for a namespace.
	reads := map[schema.GroupKind]bool{}
	for _, checks := range byNS {
		for _, ch := range checks {
			if !ch.EachObject {
				for _, gk := range ch.Inputs() {
					reads[gk] = true
				}
			}
		}
	}
	var cluster []*inventory.Object
	objs := map[string][]*inventory.Object{}
	c.mu.Lock()
	for k, o := range c.objects {
		switch s := k.scope(); {
		case s == "":
			if reads[k.gk] {
				cluster = append(cluster, o)
			}
		case byNS[s] != nil:
			objs[s] = append(objs[s], o)
		}
	}
	c.mu.Unlock()
	for ns, checks := range byNS {
		inv := inventory.NewInventory()
		for _, o := range cluster {
			inv.Add(o)
		}
		for _, o := range objs[ns] {
			inv.Add(o)
		}
		inv.Sort()
		if c.opts.Images != nil {
			inv.SetImages(c.opts.Images(inv))
		}
		r := check.NewRunner(checks, c.opts.CheckOptions, c.opts.Suppressions, c.engine.Log)
		c.replaceScope(ns, checks, r.CheckInventory(check.NewContext(c.opts.CheckOptions), inv), at[ns])
	}
	c.metrics.evaluation.WithLabelValues("cross-object-namespace").Observe(time.Since(start).Seconds())
}

// replaceScope replaces the findings of checks in one namespace (those on
// its Namespace object are the cluster report's) with those found there.
func (c *Controller) replaceScope(ns string, checks []*check.Check, found []check.Finding, at time.Time) {
	inNS, onNS := map[string][]check.Finding{}, map[string][]check.Finding{}
	for _, f := range found {
		switch {
		case keyOf(f.Object).scope() != ns:
			// Outside the namespace: the run did not see all it reads.
		case f.Object.Namespace == "":
			onNS[f.CheckID] = append(onNS[f.CheckID], f)
		default:
			inNS[f.CheckID] = append(inNS[f.CheckID], f)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, ch := range checks {
		byNS := c.crossFindings[ch.ID]
		if byNS == nil {
			byNS = map[string][]check.Finding{}
			c.crossFindings[ch.ID] = byNS
		}
		if !sameFindings(byNS[ns], inNS[ch.ID]) {
			c.writer.dirty(ns, at)
		}
		setFindings(byNS, ns, inNS[ch.ID])
		var kept, had []check.Finding
		for _, f := range byNS[""] {
			if keyOf(f.Object).scope() == ns {
				had = append(had, f)
			} else {
				kept = append(kept, f)
			}
		}
		if !sameFindings(had, onNS[ch.ID]) {
			c.writer.dirty("", at)
		}
		setFindings(byNS, "", append(kept, onNS[ch.ID]...))
	}
}

// sameFindings reports whether two runs found the same, in any order, as
// a report shows them: an object's resourceVersion, which reports do not
// carry, changes with every update, also of fields no check reads.
func sameFindings(a, b []check.Finding) bool {
	if len(a) != len(b) {
		return false
	}
	type key struct {
		check                      string
		severity                   check.Severity
		object                     inventory.Ref
		source                     inventory.Source
		position                   inventory.Position
		path, image, message, fix  string
		suppression                check.SuppressionStatus
		suppressed, vendored, more bool
	}
	keyOf := func(f *check.Finding) key {
		k := key{check: f.CheckID, severity: f.Severity, object: f.Object, source: f.Source, position: f.Position,
			path: f.Path, image: f.Image, message: f.Message, fix: f.Fix, vendored: f.Vendored,
			more: len(f.Folded) > 0 || len(f.Elsewhere) > 0}
		k.source.ResourceVersion = ""
		if f.Suppression != nil {
			k.suppression, k.suppressed = *f.Suppression, true
		}
		return k
	}
	count := make(map[key]int, len(a))
	for i := range a {
		count[keyOf(&a[i])]++
	}
	for i := range b {
		k := keyOf(&b[i])
		// Findings this run folded or grouped are not compared: rebuild.
		if count[k] == 0 || k.more {
			return false
		}
		count[k]--
	}
	return true
}

func setFindings(byNS map[string][]check.Finding, ns string, fs []check.Finding) {
	if len(fs) == 0 {
		delete(byNS, ns)
		return
	}
	byNS[ns] = fs
}

// runCross runs cross-object checks over a snapshot and replaces their
// findings; it returns the snapshot and the objects the checks could not
// judge.
func (c *Controller) runCross(checks []*check.Check, at time.Time) (*inventory.Inventory, []check.Undecided) {
	start := time.Now()
	inv := c.snapshot()
	if c.opts.Images != nil {
		inv.SetImages(c.opts.Images(inv))
	}
	r := check.NewRunner(checks, c.opts.CheckOptions, c.opts.Suppressions, c.engine.Log)
	found := r.CheckInventory(check.NewContext(c.opts.CheckOptions), inv)
	byCheck := map[string]map[string][]check.Finding{}
	for _, ch := range checks {
		byCheck[ch.ID] = map[string][]check.Finding{}
	}
	for _, f := range found {
		byCheck[f.CheckID][f.Object.Namespace] = append(byCheck[f.CheckID][f.Object.Namespace], f)
	}
	c.mu.Lock()
	c.gen++
	for id, byNS := range byCheck {
		// Only the reports whose findings changed are rebuilt: a run over
		// every object must not rewrite every namespace's report.
		for ns, fs := range c.crossFindings[id] {
			if !sameFindings(fs, byNS[ns]) {
				c.writer.dirty(ns, at)
			}
		}
		for ns := range byNS {
			if _, had := c.crossFindings[id][ns]; !had {
				c.writer.dirty(ns, at)
			}
		}
		c.crossFindings[id] = byNS
	}
	c.mu.Unlock()
	c.metrics.evaluation.WithLabelValues("cross-object").Observe(time.Since(start).Seconds())
	return inv, r.TakeUndecided()
}

// snapshot is an inventory of the objects as last evaluated, sorted as a
// scan sorts them so that checks answer the same for the same cluster.
func (c *Controller) snapshot() *inventory.Inventory {
	c.mu.Lock()
	objs := make([]*inventory.Object, 0, len(c.objects))
	for _, o := range c.objects {
		objs = append(objs, o)
	}
	c.mu.Unlock()
	inv := inventory.NewInventory()
	for _, o := range objs {
		inv.Add(o)
	}
	inv.Sort()
	return inv
}

// full evaluates every object and every cross-object check afresh.
func (c *Controller) full() {
	start := time.Now()
	type item struct {
		k        objKey
		o        *inventory.Object
		findings []check.Finding
	}
	var items []item
	for _, gk := range c.watched.Kinds() {
		for _, key := range c.watched.Keys(gk) {
			o, ok, err := c.watched.Object(gk, key)
			if err != nil || !ok {
				continue
			}
			items = append(items, item{k: keyOf(o.Ref), o: o})
		}
	}
	cctx := check.NewContext(c.opts.CheckOptions)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				c.link(items[i].o)
				items[i].findings = c.engine.Runner.CheckObject(cctx, items[i].o)
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	c.gen++
	clear(c.objects)
	clear(c.children)
	clear(c.objFindings)
	for _, it := range items {
		c.objects[it.k] = it.o
		c.adopt(it.k, it.o, nil)
		if len(it.findings) > 0 {
			if c.objFindings[it.k.namespace] == nil {
				c.objFindings[it.k.namespace] = map[objKey][]check.Finding{}
			}
			c.objFindings[it.k.namespace][it.k] = it.findings
		}
	}
	undecided := c.engine.Runner.TakeUndecided()
	c.mu.Unlock()
	inv, more := c.runCross(c.cross, time.Time{})
	coverage, _ := c.engine.Coverage(cctx, inv, append(undecided, more...))
	noInput := c.engine.NoInput(inv)
	c.mu.Lock()
	c.gen++
	c.coverage = coverage
	c.ran, c.noInput = c.engine.Runner.Checks(), noInput
	c.lastFull = time.Now()
	c.mu.Unlock()
	c.writer.dirtyAll()
	c.metrics.evaluation.WithLabelValues("full").Observe(time.Since(start).Seconds())
	c.log.Info("full evaluation", "objects", len(items), "seconds", fmt.Sprintf("%.2f", time.Since(start).Seconds()))
}

func (c *Controller) resyncLoop(ctx context.Context) {
	t := time.NewTicker(c.opts.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.full()
		}
	}
}

// eachFinding calls f with every finding and its namespace; c.mu is held.
func (c *Controller) eachFinding(f func(ns string, f *check.Finding)) {
	for ns, byObj := range c.objFindings {
		for _, fs := range byObj {
			for i := range fs {
				f(ns, &fs[i])
			}
		}
	}
	for _, byNS := range c.crossFindings {
		for ns, fs := range byNS {
			for i := range fs {
				f(ns, &fs[i])
			}
		}
	}
}

// checkCoverage is what the open coverage gaps did to each check.
func (c *Controller) checkCoverage() []scan.CheckCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return (&scan.Result{Coverage: c.coverage}).CheckCoverage()
}

func (c *Controller) objectCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.objects)
}

// namespaces lists the namespaces that get a report: those that exist and
// are not being deleted, and any that holds findings when Namespaces are
// not watched.
func (c *Controller) namespaces() map[string]bool {
	out := map[string]bool{"": true}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watched.Watching(inventory.KindNamespace) {
		for k, o := range c.objects {
			if k.gk == inventory.KindNamespace && o.Meta.DeletionTimestamp == nil {
				out[k.name] = true
			}
		}
		return out
	}
	for ns := range c.objFindings {
		out[ns] = true
	}
	for _, byNS := range c.crossFindings {
		for ns := range byNS {
			out[ns] = true
		}
	}
	return out
}
