package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// FieldManager owns the reports' fields in server-side apply.
const FieldManager = "kubeward-controller"

// writer turns the findings of dirty namespaces into reports and applies
// those whose content changed; only the leader writes.
//
// It writes sets of reports, each a namespace's ("" the cluster's), or a
// framework's (frameworkSet): a framework's controls are judged on every
// namespace's findings, so any change queues them too.
type writer struct {
	c      *Controller
	dyn    dynamic.Interface
	queue  queue[string]
	leader atomic.Bool

	mu sync.Mutex
	// written holds, per set, the hash of each report as last applied or
	// found; firstSeen each result's timestamp.
	written   map[string]map[string]string
	firstSeen map[string]map[string]metav1.Timestamp
	// built is the posture generation each framework's reports were last
	// written from: a namespace queued without a change of the findings
	// (an update no check sees) rebuilds no framework report.
	built map[string]uint64
}

// frameworkSetPrefix starts the set of a framework's reports: no
// namespace's name holds a colon.
const frameworkSetPrefix = "framework:"

func frameworkSet(id string) string { return frameworkSetPrefix + id }

func newWriter(c *Controller) *writer {
	return &writer{c: c, queue: newQueue[string](), written: map[string]map[string]string{}, firstSeen: map[string]map[string]metav1.Timestamp{},
		built: map[string]uint64{}}
}

// check makes sure the report API is served and readable before anything
// is watched: without the CRDs nothing could be written.
func (w *writer) check(ctx context.Context) error {
	cfg := rest.CopyConfig(w.c.opts.Config)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	w.dyn = dyn
	gvr := w.c.opts.Flavor.GVR(false)
	if _, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("the cluster does not serve %s: install the CRDs of %s (the Helm chart does, docs/controller.md)", gvr.GroupResource(), gvr.GroupVersion())
		}
		return fmt.Errorf("reading %s: %w", gvr.GroupResource(), err)
	}
	return nil
}

// dirty queues a namespace whose findings may have changed, and the
// frameworks judged on them.
func (w *writer) dirty(ns string, at time.Time) {
	w.queue.add(ns, at)
	for _, fw := range w.c.opts.Frameworks {
		w.queue.add(frameworkSet(fw.ID), at)
	}
}

// dirtyAll queues every set that has or had a report.
func (w *writer) dirtyAll() {
	for ns := range w.c.namespaces() {
		w.queue.add(ns, time.Time{})
	}
	for _, fw := range w.c.opts.Frameworks {
		w.queue.add(frameworkSet(fw.ID), time.Time{})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for ns := range w.written {
		w.queue.add(ns, time.Time{})
	}
}

// lead writes while ctx (the leadership) lasts: it first reads the reports
// a former leader left, so that it rewrites only what changed.
func (w *writer) lead(ctx context.Context) error {
	if err := w.seed(ctx); err != nil {
		return err
	}
	w.leader.Store(true)
	defer w.leader.Store(false)
	w.dirtyAll()
	sem := make(chan struct{}, w.c.opts.Writers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for w.queue.wait(ctx, w.c.opts.Debounce) {
		for ns, at := range w.queue.take() {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := w.write(ctx, ns, at); err != nil && ctx.Err() == nil {
					w.c.log.Warn("report not written; retrying", "namespace", ns, "error", err.Error())
					go func() {
						select {
						case <-ctx.Done():
						case <-time.After(time.Second):
							w.queue.add(ns, at)
						}
					}()
				}
			}()
		}
		wg.Wait()
	}
	return nil
}

// seed reads the reports kubeward wrote before, by label.
func (w *writer) seed(ctx context.Context) error {
	f := w.c.opts.Flavor
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.written)
	clear(w.firstSeen)
	clear(w.built)
	for _, namespaced := range []bool{false, true} {
		opts := metav1.ListOptions{LabelSelector: policyreport.Selector}
		for {
			list, err := w.dyn.Resource(f.GVR(namespaced)).List(ctx, opts)
			if err != nil {
				return fmt.Errorf("reading the reports written before: %w", err)
			}
			for i := range list.Items {
				u := &list.Items[i]
				rep, results, err := policyreport.Normalize(f, u)
				if err != nil {
					w.c.log.Warn("report not understood; it will be rewritten", "namespace", u.GetNamespace(), "name", u.GetName(), "error", err.Error())
					continue
				}
				set := u.GetNamespace()
				if id, ok := u.GetLabels()[policyreport.FrameworkLabel]; ok && set == "" {
					// A framework no longer judged is queued with the
					// others (dirtyAll) and its reports deleted.
					set = frameworkSet(id)
				}
				if w.written[set] == nil {
					w.written[set] = map[string]string{}
					w.firstSeen[set] = map[string]metav1.Timestamp{}
				}
				w.written[set][u.GetName()] = rep.Hash
				for j := range results {
					w.firstSeen[set][policyreport.Key(&results[j])] = results[j].Timestamp
				}
			}
			if list.GetContinue() == "" {
				break
			}
			opts.Continue = list.GetContinue()
		}
	}
	return nil
}

// write brings the reports of one set, a namespace's or a framework's, in
// line with the findings.
func (w *writer) write(ctx context.Context, set string, at time.Time) error {
	f := w.c.opts.Flavor
	ns := set
	var reports []policyreport.Report
	var err error
	id, isFramework := strings.CutPrefix(set, frameworkSetPrefix)
	var p *posture
	switch {
	case isFramework:
		ns = ""
		p = w.c.postureNow()
		w.mu.Lock()
		built, ok := w.built[id]
		w.mu.Unlock()
		if ok && built == p.gen {
			return nil
		}
		reports, err = w.frameworkReports(id, p)
	case !w.c.namespaces()[ns]:
		// Gone, or being deleted: its reports go with it.
		w.mu.Lock()
		delete(w.written, ns)
		delete(w.firstSeen, ns)
		w.mu.Unlock()
		w.c.metrics.observeLatency(at)
		return nil
	default:
		reports, err = policyreport.Build(f, ns, w.results(ns))
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	had := w.written[set]
	w.mu.Unlock()
	keep := map[string]string{}
	res := w.c.dyn(f, ns)
	for _, r := range reports {
		name := r.Object.GetName()
		keep[name] = r.Hash
		if had[name] == r.Hash {
			continue
		}
		_, err := res.Apply(ctx, name, r.Object, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		w.c.metrics.writes.WithLabelValues("apply", outcome(err)).Inc()
		if gone(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("apply %s %s/%s: %w", r.Object.GetKind(), ns, name, err)
		}
	}
	for name := range had {
		if _, ok := keep[name]; ok {
			continue
		}
		err := res.Delete(ctx, name, metav1.DeleteOptions{})
		w.c.metrics.writes.WithLabelValues("delete", outcome(err)).Inc()
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s/%s: %w", ns, name, err)
		}
	}
	w.mu.Lock()
	w.written[set] = keep
	if isFramework {
		w.built[id] = p.gen
	}
	w.mu.Unlock()
	if !isFramework {
		// The latency is a namespace report's: a framework's is written
		// beside it, from the same change.
		w.c.metrics.observeLatency(at)
	}
	return nil
}

// frameworkReports are the reports of a framework as the posture judges
// it; none for a framework no longer judged, whose reports are then
// deleted.
func (w *writer) frameworkReports(id string, p *posture) ([]policyreport.Report, error) {
	c := w.c
	i := slices.IndexFunc(c.opts.Frameworks, func(fw *framework.Framework) bool { return fw.ID == id })
	if i < 0 {
		return nil, nil
	}
	r := p.frameworks[i]
	c.mu.Lock()
	results := policyreport.FrameworkResults(r, c.uidOf, time.Now())
	c.mu.Unlock()
	return policyreport.BuildFramework(c.opts.Flavor, r, w.stamp(frameworkSet(id), results))
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// gone reports a write refused because the namespace is gone or going.
func gone(err error) bool {
	return err != nil && (apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause))
}

// results renders the findings of a namespace, keeping each result's
// first-seen timestamp.
func (w *writer) results(ns string) []reportsv1alpha1.ReportResult {
	type entry struct {
		f   check.Finding
		uid types.UID
	}
	var entries []entry
	c := w.c
	c.mu.Lock()
	for _, fs := range c.objFindings[ns] {
		for i := range fs {
			entries = append(entries, entry{fs[i], c.uidOf(fs[i].Object)})
		}
	}
	for _, byNS := range c.crossFindings {
		for _, f := range byNS[ns] {
			entries = append(entries, entry{f, c.uidOf(f.Object)})
		}
	}
	c.mu.Unlock()

	now := time.Now()
	results := make([]reportsv1alpha1.ReportResult, 0, len(entries))
	for i := range entries {
		results = append(results, policyreport.ResultOf(&entries[i].f, entries[i].uid, now))
	}
	if ns == "" {
		for _, cc := range c.checkCoverage() {
			results = append(results, policyreport.CoverageResult(cc, now))
		}
	}
	results = w.stamp(ns, results)
	policyreport.SortResults(results)
	return results
}

// stamp gives the results of a set the timestamps they had when first
// seen there, and keeps them for the next write.
func (w *writer) stamp(set string, results []reportsv1alpha1.ReportResult) []reportsv1alpha1.ReportResult {
	w.mu.Lock()
	defer w.mu.Unlock()
	prev, next := w.firstSeen[set], make(map[string]metav1.Timestamp, len(results))
	for i := range results {
		k := policyreport.Key(&results[i])
		if ts, ok := prev[k]; ok {
			results[i].Timestamp = ts
		}
		next[k] = results[i].Timestamp
	}
	w.firstSeen[set] = next
	return results
}

// uidOf is the UID of an object as last evaluated; c.mu is held.
func (c *Controller) uidOf(r inventory.Ref) types.UID {
	if o := c.objects[keyOf(r)]; o != nil {
		return o.Meta.UID
	}
	return ""
}

// dyn is the resource of a namespace's reports.
func (c *Controller) dyn(f policyreport.Flavor, ns string) dynamic.ResourceInterface {
	if ns == "" {
		return c.writer.dyn.Resource(f.GVR(false))
	}
	return c.writer.dyn.Resource(f.GVR(true)).Namespace(ns)
}
