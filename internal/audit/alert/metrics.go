package alert

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the alerting counters. Register them on a registry the
// caller owns; nil Metrics count nothing.
type Metrics struct {
	Alerts     *prometheus.CounterVec // by rule, severity
	Suppressed *prometheus.CounterVec // duplicates folded into summaries, by rule
	Deliveries *prometheus.CounterVec // by sink, result (ok, error, dropped)
	QueueLen   *prometheus.GaugeVec   // by sink
}

// NewMetrics creates the counters and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "alerts_total",
			Help: "Alerts raised, by rule and severity (a rate-limited summary counts once per duplicate it stands for).",
		}, []string{"rule", "severity"}),
		Suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "alerts_rate_limited_total",
			Help: "Duplicate alerts of the same rule and identity held back and reported as a count.",
		}, []string{"rule"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "alert_deliveries_total",
			Help: "Alert deliveries by sink and result: ok, error (gave up after retries) or dropped (queue full).",
		}, []string{"sink", "result"}),
		QueueLen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "alert_queue_length",
			Help: "Alerts waiting for delivery, by sink.",
		}, []string{"sink"}),
	}
	for _, c := range []prometheus.Collector{m.Alerts, m.Suppressed, m.Deliveries, m.QueueLen} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) delivered(sink, result string) {
	if m != nil {
		m.Deliveries.WithLabelValues(sink, result).Inc()
	}
}

func (m *Metrics) queue(sink string, n int) {
	if m != nil {
		m.QueueLen.WithLabelValues(sink).Set(float64(n))
	}
}
