package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mk(rule, user, name string, at time.Duration) detect.Alert {
	return detect.Alert{Time: t0.Add(at), Rule: rule, Title: rule, Severity: check.High, User: user, Message: "did " + name,
		Object: &detect.Object{Resource: "pods", Namespace: "dev", Name: name}, Count: 1, Fix: "f"}
}

func TestLimiterFoldsDuplicates(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimiter(time.Minute, 0, m)
	var out []detect.Alert
	out = l.Process(mk("privileged-pod", "alice", "a", 0), out)
	out = l.Process(mk("privileged-pod", "alice", "b", 10*time.Second), out)
	out = l.Process(mk("privileged-pod", "alice", "c", 20*time.Second), out)
	out = l.Process(mk("privileged-pod", "bob", "d", 20*time.Second), out)          // other identity
	out = l.Process(mk("secret-read", "alice", "e", 20*time.Second), out)           // other rule
	out = l.Process(mk("privileged-pod", "alice", "x", -100*time.Millisecond), out) // slightly out of order
	if len(out) != 3 {
		t.Fatalf("passed %d alerts, want 3: %+v", len(out), out)
	}
	if got := value(m.Suppressed.WithLabelValues("privileged-pod")); got != 3 {
		t.Errorf("suppressed counter %v, want 3", got)
	}
	// Nothing ended yet at 30s; at 61s alice's window ends.
	if s := l.Flush(t0.Add(30*time.Second), nil); len(s) != 0 {
		t.Errorf("early summaries %+v", s)
	}
	s := l.Flush(t0.Add(61*time.Second), nil)
	if len(s) != 1 {
		t.Fatalf("summaries %+v", s)
	}
	if s[0].Count != 3 || s[0].User != "alice" || s[0].FirstSeen == nil || s[0].LastSeen == nil ||
		strings.Join(s[0].Objects, ",") != "pods dev/b,pods dev/c,pods dev/x" || !strings.HasPrefix(s[0].Message, "3 more in 1m0s") {
		t.Errorf("summary %+v", s[0])
	}
	// A new window starts after the old one.
	out = l.Process(mk("privileged-pod", "alice", "f", 2*time.Minute), nil)
	if len(out) != 1 || out[0].Count != 1 {
		t.Errorf("new window: %+v", out)
	}
	if s := l.FlushAll(nil); len(s) != 0 {
		t.Errorf("windows without duplicates produced summaries: %+v", s)
	}
}

func TestLimiterSummaryWhenWindowEndsByNextAlert(t *testing.T) {
	l := NewLimiter(time.Minute, 0, nil)
	l.Process(mk("r", "u", "a", 0), nil)
	l.Process(mk("r", "u", "b", time.Second), nil)
	out := l.Process(mk("r", "u", "c", 2*time.Minute), nil)
	if len(out) != 2 || out[0].Count != 1 || out[0].Objects[0] != "pods dev/b" || out[1].Object.Name != "c" {
		t.Fatalf("out %+v", out)
	}
}

func TestLimiterBoundsKeys(t *testing.T) {
	l := NewLimiter(time.Hour, 10, nil)
	var summaries int
	for i := range 100 {
		for _, a := range l.Process(mk("r", fmt.Sprint("u", i), "a", time.Duration(i)), nil) {
			if a.Count > 1 || a.FirstSeen != nil {
				summaries++
			}
		}
		l.Process(mk("r", fmt.Sprint("u", i), "b", time.Duration(i)), nil) // a duplicate each
	}
	if len(l.entries) > 10 {
		t.Errorf("%d keys tracked", len(l.entries))
	}
	// every evicted key with a duplicate was summarised, none lost
	rest := len(l.FlushAll(nil))
	if summaries+rest != 100 {
		t.Errorf("summaries %d + %d, want 100", summaries, rest)
	}
}

func TestLimiterZeroWindowPassesAll(t *testing.T) {
	l := NewLimiter(0, 0, nil)
	out := l.Process(mk("r", "u", "a", 0), nil)
	out = l.Process(mk("r", "u", "a", 0), out)
	if len(out) != 2 {
		t.Errorf("out %d", len(out))
	}
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	d := NewDispatcher(NewLimiter(time.Minute, 0, m), []Sink{NewJSONLines("stdout", &buf, nil, m)}, m, nil)
	d.Dispatch([]detect.Alert{mk("r", "u", "a", 0), mk("r", "u", "b", time.Second)})
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	var a detect.Alert
	if err := json.Unmarshal([]byte(lines[1]), &a); err != nil || a.Count != 1 || a.Severity != check.High {
		t.Errorf("summary line %s: %v", lines[1], err)
	}
	if got := value(m.Alerts.WithLabelValues("r", "high")); got != 2 {
		t.Errorf("alerts counter %v, want 2", got)
	}
	if got := value(m.Deliveries.WithLabelValues("stdout", "ok")); got != 2 {
		t.Errorf("deliveries %v", got)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestJSONLinesWriteError(t *testing.T) {
	j := NewJSONLines("file", errWriter{}, nil, nil)
	a := mk("r", "u", "a", 0)
	if err := j.Send(&a); err == nil {
		t.Error("no error")
	}
}

func TestWebhookRetriesAndHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []detect.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer t" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var a detect.Alert
		json.NewDecoder(r.Body).Decode(&a)
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL, Header: http.Header{"Authorization": {"Bearer t"}}, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 2 * time.Second}, m)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, a := range []detect.Alert{mk("r", "u", "a", 0), mk("r", "u", "b", 0)} {
		w.Send(&a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Object.Name != "a" || got[1].Object.Name != "b" {
		t.Fatalf("delivered %+v", got)
	}
	if time.Since(start) < time.Second {
		t.Errorf("Retry-After: 1 not honoured")
	}
	if calls.Load() != 4 || value(m.Deliveries.WithLabelValues("webhook", "ok")) != 2 {
		t.Errorf("calls %d", calls.Load())
	}
}

func TestWebhookGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if strings.Contains(r.URL.Path, "bad") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	for _, c := range []struct {
		path  string
		calls int32
	}{{"/bad", 1}, {"/flaky", 3}} {
		calls.Store(0)
		reg := prometheus.NewRegistry()
		m, _ := NewMetrics(reg)
		w, _ := NewWebhook(WebhookOptions{URL: srv.URL + c.path, MaxAttempts: 3, InitialBackoff: time.Millisecond}, m)
		a := mk("r", "u", "a", 0)
		w.Send(&a)
		w.Close(context.Background())
		if calls.Load() != c.calls || value(m.Deliveries.WithLabelValues("webhook", "error")) != 1 {
			t.Errorf("%s: %d calls, want %d", c.path, calls.Load(), c.calls)
		}
	}
}

func TestWebhookBoundedQueueCountsDrops(t *testing.T) {
	release := make(chan struct{})
	var delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		delivered.Add(1)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	w, _ := NewWebhook(WebhookOptions{URL: srv.URL, QueueSize: 5}, m)
	for i := range 50 {
		a := mk("r", "u", fmt.Sprint(i), 0)
		w.Send(&a)
	}
	close(release)
	w.Close(context.Background())
	dropped := value(m.Deliveries.WithLabelValues("webhook", "dropped"))
	if int(dropped)+int(delivered.Load()) != 50 || dropped < 44 || w.Dropped() != uint64(dropped) {
		t.Errorf("dropped %v delivered %d, want all 50 accounted for", dropped, delivered.Load())
	}
}

func TestWebhookCloseDeadlineDropsRest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	w, _ := NewWebhook(WebhookOptions{URL: srv.URL, InitialBackoff: time.Second, MaxBackoff: time.Second}, m)
	for i := range 3 {
		a := mk("r", "u", fmt.Sprint(i), 0)
		w.Send(&a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close reported no undelivered alerts")
	}
	total := value(m.Deliveries.WithLabelValues("webhook", "dropped")) + value(m.Deliveries.WithLabelValues("webhook", "error"))
	if total != 3 {
		t.Errorf("accounted %v of 3", total)
	}
}

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
