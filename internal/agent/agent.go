// Package agent is kubeward's node agent: it reads the kernel events of
// internal/agent/bpf, attributes them to pods (attrib), runs detectors
// over them (rules, baselines, NetworkPolicy intent) and hands the alerts
// to consumers (the audit alert dispatcher, quarantine).
package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/prometheus/client_golang/prometheus"
)

// Detector judges attributed events. Observe is called from one goroutine,
// for every event, in order; it appends its alerts to dst.
type Detector interface {
	Observe(e *event.Event, dst []detect.Alert) []detect.Alert
}

// Options configure an Agent.
type Options struct {
	Node      string
	Detectors []Detector
	Consumers []func([]detect.Alert)
	// DropCheck is how often lost events are counted (default 5s).
	DropCheck time.Duration
	Logger    *slog.Logger
	Registry  prometheus.Registerer
}

// Agent is the event loop of one node.
type Agent struct {
	o       Options
	probes  *bpf.Probes
	attr    *attrib.Attributor
	clock   bpf.Clock
	metrics *metrics
	mu      sync.Mutex
	lost    [event.KindMax]uint64
}

type metrics struct {
	events *prometheus.CounterVec
	lost   *prometheus.CounterVec
	blind  *prometheus.GaugeVec
}

// New builds an agent on loaded probes.
func New(p *bpf.Probes, attr *attrib.Attributor, o Options) (*Agent, error) {
	if o.DropCheck <= 0 {
		o.DropCheck = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "kubeward", Subsystem: "agent", Name: "events_total",
			Help: "Kernel events read, by kind."}, []string{"kind"}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "kubeward", Subsystem: "agent", Name: "events_lost_total",
			Help: "Kernel events lost because the ring buffer was full, by kind."}, []string{"kind"}),
		blind: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "kubeward", Subsystem: "agent", Name: "blind_spots",
			Help: "1 for each kind of event the kernel cannot deliver (see the agent's log)."}, []string{"what"}),
	}
	if o.Registry != nil {
		for _, c := range []prometheus.Collector{m.events, m.lost, m.blind} {
			if err := o.Registry.Register(c); err != nil {
				return nil, err
			}
		}
	}
	for _, b := range p.Missing {
		o.Logger.Warn("blind spot: the kernel cannot deliver these events", "what", b)
		m.blind.WithLabelValues(b).Set(1)
	}
	return &Agent{o: o, probes: p, attr: attr, clock: bpf.NewClock(), metrics: m}, nil
}

// Run reads events until ctx ends (it then closes the probes) or reading
// fails.
func (a *Agent) Run(ctx context.Context) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(a.o.DropCheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				a.probes.Close()
				return
			case <-done:
				return
			case <-t.C:
				a.CheckDrops()
			}
		}
	}()
	var (
		rec    ringbuf.Record
		ev     event.Event
		alerts []detect.Alert
		counts [event.KindMax]prometheus.Counter
	)
	for k := range counts {
		counts[k] = a.metrics.events.WithLabelValues(event.Kind(k).String())
	}
	for {
		if err := a.probes.Read(&rec); err != nil {
			if errors.Is(err, bpf.ErrClosed) {
				a.CheckDrops()
				return nil
			}
			return err
		}
		if err := a.clock.Decode(rec.RawSample, &ev); err != nil {
			a.o.Logger.Warn("undecodable event", "err", err)
			continue
		}
		if ev.Kind < event.KindMax {
			counts[ev.Kind].Inc()
		}
		alerts = a.Handle(&ev, alerts[:0])
		if len(alerts) > 0 {
			for _, c := range a.o.Consumers {
				c(alerts)
			}
		}
	}
}

// Handle attributes one event and runs the detectors over it.
func (a *Agent) Handle(ev *event.Event, dst []detect.Alert) []detect.Alert {
	if a.attr != nil {
		a.attr.Attribute(ev)
	}
	if ev.Pod != nil && ev.Pod.Node == "" {
		ev.Pod.Node = a.o.Node
	}
	for _, d := range a.o.Detectors {
		dst = d.Observe(ev, dst)
	}
	return dst
}

// CheckDrops counts the events the kernel could not deliver since the
// last check, and warns: a lost event is never silent.
func (a *Agent) CheckDrops() {
	now, err := a.probes.Drops()
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := 1; k < event.KindMax; k++ {
		if d := now[k] - a.lost[k]; d > 0 {
			a.metrics.lost.WithLabelValues(event.Kind(k).String()).Add(float64(d))
			a.o.Logger.Warn("events lost: the ring buffer was full (raise --ring-size, or the agent lacks CPU)", "kind", event.Kind(k).String(), "lost", d)
		}
	}
	a.lost = now
}

// Lost returns the events lost so far, by kind.
func (a *Agent) Lost() [event.KindMax]uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lost
}
