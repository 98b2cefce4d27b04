package controller

import (
	"strconv"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the controller's Prometheus metrics. Posture (findings,
// coverage) is exported by the leader only, so that summing over replicas
// counts each finding once. No label holds an object's name: the series
// are bounded by checks × namespaces with findings, severities and the
// suppressed flag (docs/controller.md gives the count at 20,000 objects),
// and frameworks × statuses.
type metrics struct {
	c          *Controller
	findings   *prometheus.Desc
	gaps       *prometheus.Desc
	sinceFull  *prometheus.Desc
	objects    *prometheus.Desc
	fwScore    *prometheus.Desc
	fwControls *prometheus.Desc
	latency    prometheus.Histogram
	evaluation *prometheus.HistogramVec
	writes     *prometheus.CounterVec
	leader     prometheus.Gauge
}

func newMetrics(c *Controller) *metrics {
	return &metrics{
		c: c,
		findings: prometheus.NewDesc("kubeward_findings", "Findings in the cluster now, by check, category, severity, namespace (empty: cluster-scoped objects) and whether a suppression holds them.",
			[]string{"check", "category", "severity", "namespace", "suppressed"}, nil),
		gaps: prometheus.NewDesc("kubeward_coverage_gaps", "Checks the last full evaluation could not run (not-run), ran on part of their input (partial) or found nothing to judge (nothing-to-judge), 1 per check; accepted gaps are left out.",
			[]string{"check", "type"}, nil),
		fwScore: prometheus.NewDesc("kubeward_framework_score", "Share of a framework's assessed controls that pass, in percent: passed / (passed + failed + not-checked), as `scan --framework` scores it.",
			[]string{"framework"}, nil),
		fwControls: prometheus.NewDesc("kubeward_framework_controls", "A framework's controls by status: passed, failed, not-applicable, not-checked, manual.",
			[]string{"framework", "status"}, nil),
		sinceFull: prometheus.NewDesc("kubeward_seconds_since_last_full_evaluation", "Seconds since every object and cross-object check was last evaluated afresh.", nil, nil),
		objects:   prometheus.NewDesc("kubeward_watched_objects", "Objects held by the controller's informers.", nil, nil),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubeward_change_to_report_seconds",
			Help:    "Time from an object's change reaching the controller to its namespace's report being written (or found unchanged).",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
		}),
		evaluation: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubeward_evaluation_seconds",
			Help:    "Duration of evaluations: a batch of changed objects, a run of cross-object checks, a full evaluation.",
			Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"pass"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubeward_report_writes_total",
			Help: "Report writes to the API server, by operation (apply, delete) and outcome (ok, error).",
		}, []string{"operation", "outcome"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubeward_controller_leader", Help: "1 while this replica writes the reports."}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, col := range []prometheus.Collector{m, m.latency, m.evaluation, m.writes, m.leader} {
		if err := r.Register(col); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) observeLatency(at time.Time) {
	if !at.IsZero() {
		m.latency.Observe(time.Since(at).Seconds())
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.findings
	ch <- m.gaps
	ch <- m.sinceFull
	ch <- m.objects
	ch <- m.fwScore
	ch <- m.fwControls
}

type findingSeries struct{ check, category, severity, namespace, suppressed string }

// posture is what the posture metrics and the framework reports say of
// the findings and coverage at one generation (Controller.gen). It is
// derived only when they changed since the last derivation: judging the
// frameworks copies every finding.
type posture struct {
	gen        uint64
	findings   map[findingSeries]int
	coverage   []scan.CheckCoverage
	frameworks []*framework.Result
}

// postureNow is the posture now, derived afresh if findings or coverage
// changed since it was last derived.
func (c *Controller) postureNow() *posture {
	// The writers of several frameworks and a scrape asking at once wait
	// for one derivation rather than each making its own.
	c.postureMu.Lock()
	defer c.postureMu.Unlock()
	c.mu.Lock()
	if p := c.posture; p != nil && p.gen == c.gen {
		c.mu.Unlock()
		return p
	}
	p := &posture{gen: c.gen, findings: map[findingSeries]int{},
		coverage: (&scan.Result{Coverage: c.coverage}).CheckCoverage()}
	var res *scan.Result
	if len(c.opts.Frameworks) > 0 {
		n := 0
		c.eachFinding(func(string, *check.Finding) { n++ })
		res = &scan.Result{Checks: c.ran, NoInput: c.noInput, Coverage: c.coverage, Findings: make([]check.Finding, 0, n)}
	}
	c.eachFinding(func(ns string, f *check.Finding) {
		p.findings[findingSeries{f.CheckID, string(f.Category), f.Severity.String(), ns, strconv.FormatBool(f.Suppressed())}]++
		if res != nil {
			res.Findings = append(res.Findings, *f)
		}
	})
	c.mu.Unlock()
	// Judged outside the lock, which evaluations wait for.
	for _, fw := range c.opts.Frameworks {
		p.frameworks = append(p.frameworks, framework.Evaluate(fw, res))
	}
	c.mu.Lock()
	if c.gen == p.gen {
		c.posture = p
	}
	c.mu.Unlock()
	return p
}

// Collect exports the posture (derived once per change of the findings)
// and the time since the last full evaluation.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	c := m.c
	// Not before the first evaluation: the informers are still listing, and
	// 0 would be a false drop at every start. (Run sets c.watched while
	// scrapes come: only ready, an atomic, may be read here.)
	if c.ready.Load() {
		ch <- prometheus.MustNewConstMetric(m.objects, prometheus.GaugeValue, float64(c.objectCount()))
	}
	if !c.writer.leader.Load() {
		return
	}
	p := c.postureNow()
	for s, n := range p.findings {
		ch <- prometheus.MustNewConstMetric(m.findings, prometheus.GaugeValue, float64(n), s.check, s.category, s.severity, s.namespace, s.suppressed)
	}
	for _, cc := range p.coverage {
		ch <- prometheus.MustNewConstMetric(m.gaps, prometheus.GaugeValue, 1, cc.Check, string(cc.Status))
	}
	for _, r := range p.frameworks {
		ch <- prometheus.MustNewConstMetric(m.fwScore, prometheus.GaugeValue, r.Score, r.Framework.ID)
		for _, st := range framework.Statuses() {
			ch <- prometheus.MustNewConstMetric(m.fwControls, prometheus.GaugeValue, float64(r.Counts[st]), r.Framework.ID, string(st))
		}
	}
	c.mu.Lock()
	last := c.lastFull
	c.mu.Unlock()
	if !last.IsZero() {
		ch <- prometheus.MustNewConstMetric(m.sinceFull, prometheus.GaugeValue, time.Since(last).Seconds())
	}
}
