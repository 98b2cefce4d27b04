// Package pipeline connects audit event sources to the detection engine
// and the alert dispatcher, and accounts for every event: each one a source
// hands over is counted as processed, malformed, rejected (refused so the
// sender retries) or dropped, in Prometheus counters and, for anything not
// processed, in the log.
package pipeline

import (
	"log/slog"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/prometheus/client_golang/prometheus"
)

// Results of an event, the "result" label of kubeward_audit_events_total.
const (
	Processed = "processed"
	Malformed = "malformed"
	Rejected  = "rejected"
	Dropped   = "dropped"
)

// Metrics count events by source and result.
type Metrics struct {
	Events  *prometheus.CounterVec
	Latency prometheus.Histogram
}

// NewMetrics creates the counters and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "events_total",
			Help: "Audit events by source and result: processed, malformed (could not be decoded; a malformed document counts once), rejected (refused so the sender retries) or dropped.",
		}, []string{"source", "result"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "event_delay_seconds",
			Help:    "Delay from an event's stage timestamp to the end of its processing.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
		}),
	}
	for _, c := range []prometheus.Collector{m.Events, m.Latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Count adds n events of a source with a result.
func (m *Metrics) Count(source, result string, n int) {
	if m != nil && n > 0 {
		m.Events.WithLabelValues(source, result).Add(float64(n))
	}
}

// Counts are the totals a Processor has seen, for summaries.
type Counts struct {
	Processed, Malformed, Alerts uint64
}

// Processor runs events through the engine and hands alerts to the
// consumers. It implements event.Handler and is safe for concurrent use
// (events are processed one at a time, in the order calls arrive).
type Processor struct {
	mu        sync.Mutex
	engine    *detect.Engine
	consumers []func([]detect.Alert)
	metrics   *Metrics
	log       *slog.Logger
	source    string
	now       func() time.Time
	buf       []detect.Alert
	counts    Counts
}

// New returns a Processor for events from source (a label: "scan",
// "watch", "webhook"). Consumers receive each event's alerts, before rate
// limiting (responders act per object).
func New(source string, e *detect.Engine, m *Metrics, log *slog.Logger, consumers ...func([]detect.Alert)) *Processor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Processor{engine: e, consumers: consumers, metrics: m, log: log, source: source, now: time.Now}
}

// Events processes a batch. It never fails: detection has no error path.
func (p *Processor) Events(evs []*event.Event, pos event.Pos) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range evs {
		p.buf = p.engine.Process(ev, p.buf[:0])
		if len(p.buf) > 0 {
			for i := range p.buf {
				if pos.Line > 0 {
					p.buf[i].Source = pos.String()
				}
			}
			p.counts.Alerts += uint64(len(p.buf))
			for _, c := range p.consumers {
				c(p.buf)
			}
		}
	}
	p.counts.Processed += uint64(len(evs))
	p.metrics.Count(p.source, Processed, len(evs))
	if p.metrics != nil && len(evs) > 0 {
		if t := evs[len(evs)-1].Time(); !t.IsZero() {
			p.metrics.Latency.Observe(p.now().Sub(t).Seconds())
		}
	}
	return nil
}

// Malformed counts and logs a document that could not be decoded: where it
// was and why, never its content.
func (p *Processor) Malformed(err *event.ReadError) {
	p.mu.Lock()
	p.counts.Malformed++
	p.mu.Unlock()
	p.metrics.Count(p.source, Malformed, 1)
	p.log.Warn("malformed audit event skipped", "source", p.source, "file", err.Name, "line", err.Line, "err", err.Err.Error())
}

// Counts returns the totals so far.
func (p *Processor) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts
}

// Lock runs f with event processing paused (to save state consistently).
func (p *Processor) Lock(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}
