package admission

import (
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
)

// Metrics of the webhook. They are registered on a caller's registerer,
// never on the global one, so tests and embedders own their registries.
type Metrics struct {
	// Requests counts HTTP requests to the review path by status code.
	Requests *prometheus.CounterVec
	// Decisions counts answered reviews by outcome, operation and dry run.
	Decisions *prometheus.CounterVec
	// Findings counts findings acted on, by check and mode.
	Findings *prometheus.CounterVec
	// Duration is the time from request to response, body read included.
	Duration prometheus.Histogram
	// CheckErrors counts checks that failed on an object (a bug).
	CheckErrors prometheus.Counter
	// CertExpiry is the serving certificate's NotAfter; CertReloads counts
	// reloads by result.
	CertExpiry  prometheus.Gauge
	CertReloads *prometheus.CounterVec
	// OpenConnections follows the connections open on the review port;
	// InFlightBytes the memory reserved by reviews in progress.
	OpenConnections prometheus.Gauge
	InFlightBytes   prometheus.Gauge

	// The counters of the labels every review counts under, found in
	// Requests and Decisions on first use (so a series appears only once it
	// counts, as with WithLabelValues) and kept: looking them up hashed
	// their labels and searched the vector on every review.
	ok      knownCounter
	decided [len(outcomes)][len(operations)][2]knownCounter
}

// knownCounter is a counter found once in its vector.
type knownCounter struct {
	c atomic.Pointer[prometheus.Counter]
}

func (k *knownCounter) get(vec *prometheus.CounterVec, labels ...string) prometheus.Counter {
	if c := k.c.Load(); c != nil {
		return *c
	}
	c := vec.WithLabelValues(labels...)
	k.c.Store(&c)
	return c
}

var (
	outcomes   = [...]Outcome{Allow, Deny, Exempt, Owner, Invalid}
	operations = [...]admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect, "other"}
)

// requests is Requests' counter of an HTTP status code.
func (m *Metrics) requests(code int) prometheus.Counter {
	if code == http.StatusOK {
		return m.ok.get(m.Requests, "200")
	}
	return m.Requests.WithLabelValues(strconv.Itoa(code))
}

// decisions is Decisions' counter of a review's outcome, operation and
// dry run.
func (m *Metrics) decisions(o Outcome, op admissionv1.Operation, dry bool) prometheus.Counter {
	opl := operationLabel(op)
	i, j := slices.Index(outcomes[:], o), slices.Index(operations[:], admissionv1.Operation(opl))
	if i < 0 {
		return m.Decisions.WithLabelValues(string(o), opl, strconv.FormatBool(dry))
	}
	k := 0
	if dry {
		k = 1
	}
	return m.decided[i][j][k].get(m.Decisions, string(o), opl, strconv.FormatBool(dry))
}

// operationLabel is the operation as a label value: only the four the API
// server sends, anything else "other". A label value is kept for the life
// of the process and printed on every scrape, and the operation comes from
// the client: a value per request would grow the webhook without bound.
func operationLabel(op admissionv1.Operation) string {
	switch op {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
		return string(op)
	}
	return "other"
}

// NewMetrics creates the webhook's metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	const ns, sub = "kubeward", "webhook"
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "Admission review requests by HTTP status code."}, []string{"code"}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "decisions_total",
			Help: "Admission decisions by outcome (allow, deny, exempt, owner, invalid), operation (CREATE, UPDATE, DELETE, CONNECT, other) and dry run."},
			[]string{"decision", "operation", "dry_run"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "findings_total",
			Help: "Findings acted on at admission, by check and mode (enforce, warn, audit)."}, []string{"check", "mode"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Time to answer an admission review, from the request to the response.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		CheckErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "check_errors_total",
			Help: "Checks that failed on an object under review (a bug; the log has the check and object)."}),
		CertExpiry: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "certificate_expiry_timestamp_seconds",
			Help: "NotAfter of the serving certificate in use, as a Unix time."}),
		CertReloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "certificate_reloads_total",
			Help: "Serving certificate loads after a change on disk or a renewal, by result (ok, error)."}, []string{"result"}),
		OpenConnections: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "open_connections",
			Help: "Connections open on the review port (at most --max-connections)."}),
		InFlightBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "in_flight_bytes",
			Help: "Memory reserved by the reviews in progress, estimated from their size (at most --in-flight-bytes)."}),
	}
	for _, c := range []prometheus.Collector{m.Requests, m.Decisions, m.Findings, m.Duration, m.CheckErrors, m.CertExpiry, m.CertReloads,
		m.OpenConnections, m.InFlightBytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
