package controller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/check"
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
type writer struct {
	c      *Controller
	dyn    dynamic.Interface
	queue  queue[string]
	leader atomic.Bool

	mu sync.Mutex
	// written holds, per namespace ("" the cluster), the hash of each
	// report as last applied or found; firstSeen each result's timestamp.
	written   map[string]map[string]string
	firstSeen map[string]map[string]metav1.Timestamp
}

func newWriter(c *Controller) *writer {
	return &writer{c: c, queue: newQueue[string](), written: map[string]map[string]string{}, firstSeen: map[string]map[string]metav1.Timestamp{}}
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

func (w *writer) dirty(ns string, at time.Time) { w.queue.add(ns, at) }

// dirtyAll queues every namespace that has or had a report.
func (w *writer) dirtyAll() {
	for ns := range w.c.namespaces() {
		w.queue.add(ns, time.Time{})
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
				ns := u.GetNamespace()
				if w.written[ns] == nil {
					w.written[ns] = map[string]string{}
					w.firstSeen[ns] = map[string]metav1.Timestamp{}
				}
				w.written[ns][u.GetName()] = rep.Hash
				for j := range results {
					w.firstSeen[ns][policyreport.Key(&results[j])] = results[j].Timestamp
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

// write brings the reports of one namespace in line with its findings.
func (w *writer) write(ctx context.Context, ns string, at time.Time) error {
	f := w.c.opts.Flavor
	if !w.c.namespaces()[ns] {
		// Gone, or being deleted: its reports go with it.
		w.mu.Lock()
		delete(w.written, ns)
		delete(w.firstSeen, ns)
		w.mu.Unlock()
		w.c.metrics.observeLatency(at)
		return nil
	}
	results := w.results(ns)
	reports, err := policyreport.Build(f, ns, results)
	if err != nil {
		return err
	}
	w.mu.Lock()
	had := w.written[ns]
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
	w.written[ns] = keep
	w.mu.Unlock()
	w.c.metrics.observeLatency(at)
	return nil
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
	uid := func(f *check.Finding) types.UID {
		if o := c.objects[keyOf(f.Object)]; o != nil {
			return o.Meta.UID
		}
		return ""
	}
	for _, fs := range c.objFindings[ns] {
		for i := range fs {
			entries = append(entries, entry{fs[i], uid(&fs[i])})
		}
	}
	for _, byNS := range c.crossFindings {
		for _, f := range byNS[ns] {
			entries = append(entries, entry{f, uid(&f)})
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
	w.mu.Lock()
	prev, next := w.firstSeen[ns], make(map[string]metav1.Timestamp, len(results))
	for i := range results {
		k := policyreport.Key(&results[i])
		if ts, ok := prev[k]; ok {
			results[i].Timestamp = ts
		}
		next[k] = results[i].Timestamp
	}
	w.firstSeen[ns] = next
	w.mu.Unlock()
	policyreport.SortResults(results)
	return results
}

// dyn is the resource of a namespace's reports.
func (c *Controller) dyn(f policyreport.Flavor, ns string) dynamic.ResourceInterface {
	if ns == "" {
		return c.writer.dyn.Resource(f.GVR(false))
	}
	return c.writer.dyn.Resource(f.GVR(true)).Namespace(ns)
}
