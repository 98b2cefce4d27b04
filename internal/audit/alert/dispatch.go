package alert

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// Dispatcher rate-limits alerts and hands them to every sink. It is safe
// for concurrent use.
type Dispatcher struct {
	mu      sync.Mutex
	limiter *Limiter
	sinks   []Sink
	metrics *Metrics
	log     *slog.Logger
	buf     []detect.Alert
	sent    int
}

// NewDispatcher sends to sinks through limiter (nil: no rate limiting).
func NewDispatcher(limiter *Limiter, sinks []Sink, m *Metrics, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{limiter: limiter, sinks: sinks, metrics: m, log: log}
}

// Dispatch delivers alerts (after rate limiting).
func (d *Dispatcher) Dispatch(alerts []detect.Alert) {
	if len(alerts) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.buf[:0]
	for _, a := range alerts {
		if d.limiter == nil {
			out = append(out, a)
		} else {
			out = d.limiter.Process(a, out)
		}
	}
	d.send(out)
	d.buf = out[:0]
}

// Tick emits the summaries of rate-limit windows that ended by now.
func (d *Dispatcher) Tick(now time.Time) {
	if d.limiter == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.send(d.limiter.Flush(now, nil))
}

func (d *Dispatcher) send(alerts []detect.Alert) {
	d.sent += len(alerts)
	for i := range alerts {
		a := &alerts[i]
		if d.metrics != nil {
			d.metrics.Alerts.WithLabelValues(a.Rule, a.Severity.String()).Add(float64(a.Count))
		}
		for _, s := range d.sinks {
			if err := s.Send(a); err != nil {
				d.log.Error("alert sink failed", "sink", s.Name(), "rule", a.Rule, "err", err)
			}
		}
	}
}

// Close emits every pending summary and closes the sinks within ctx.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.limiter != nil {
		d.send(d.limiter.FlushAll(nil))
	}
	d.mu.Unlock()
	var errs []error
	for _, s := range d.sinks {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}

// Sent is the number of alerts handed to the sinks (after folding).
func (d *Dispatcher) Sent() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sent
}
