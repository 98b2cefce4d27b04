package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/alert"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// received is an alert and when it came out of the JSON-lines sink.
type received struct {
	detect.Alert
	at  time.Time
	raw string
}

// collector is the io.Writer behind a JSON-lines sink: it parses every
// line, so the tests see alerts exactly as a user would.
type collector struct {
	mu     sync.Mutex
	alerts []received
	t      *testing.T
}

func (c *collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		var a detect.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			c.t.Errorf("alert line is not JSON: %v", err)
			continue
		}
		c.alerts = append(c.alerts, received{Alert: a, at: time.Now(), raw: l})
	}
	return len(p), nil
}

// wait returns the first alert of rule whose object name is name, waiting
// up to a generous deadline (alert latency is measured, not asserted: see
// docs/PERFORMANCE.md).
func (c *collector) wait(t *testing.T, rule, name string) received {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for _, a := range c.alerts {
			if a.Rule == rule && (name == "" || (a.Object != nil && a.Object.Name == name)) {
				c.mu.Unlock()
				return a
			}
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var got []string
	for _, a := range c.alerts {
		got = append(got, a.Rule+" "+a.Object.String())
	}
	t.Fatalf("no %s alert for %q; got %q", rule, name, got)
	return received{}
}

func (c *collector) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, a := range c.alerts {
		b.WriteString(a.raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// rig is the pipeline `kubeward audit serve|watch` builds: engine, rate
// limiter, JSON-lines sink, metrics. Sources feed it through its Events and
// Malformed methods, which note whether an event body carried secretValue
// before handing the events to the processor.
type rig struct {
	proc      *pipeline.Processor
	events    *pipeline.Metrics
	disp      *alert.Dispatcher
	col       *collector
	reg       *prometheus.Registry
	sawSecret atomic.Bool
}

func (r *rig) Events(evs []*event.Event, pos event.Pos) error {
	for _, e := range evs {
		if bytes.Contains(e.RequestObject, []byte(secretValue)) || bytes.Contains(e.ResponseObject, []byte(secretValue)) {
			r.sawSecret.Store(true)
		}
	}
	return r.proc.Events(evs, pos)
}

func (r *rig) Malformed(err *event.ReadError) { r.proc.Malformed(err) }

func newRig(t *testing.T, source string) *rig {
	t.Helper()
	reg := prometheus.NewRegistry()
	em, err := pipeline.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	am, err := alert.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := detect.NewEngine(detect.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{t: t}
	disp := alert.NewDispatcher(alert.NewLimiter(time.Minute, 0, am), []alert.Sink{alert.NewJSONLines("test", col, nil, am)}, am, nil)
	proc := pipeline.New(source, eng, em, nil, disp.Dispatch)
	return &rig{proc: proc, events: em, disp: disp, col: col, reg: reg}
}

func (r *rig) count(t *testing.T, source, result string) float64 {
	t.Helper()
	var m dto.Metric
	if err := r.events.Events.WithLabelValues(source, result).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.Counter.GetValue()
}

// recommendedPolicy is deploy/audit/policy.yaml: the tests run the policy
// kubeward tells users to run.
func recommendedPolicy(t *testing.T) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "deploy", "audit", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustNotContain(t *testing.T, what, haystack string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if bytes.Contains([]byte(haystack), []byte(n)) {
			t.Errorf("%s contains %q", what, n)
		}
	}
}
