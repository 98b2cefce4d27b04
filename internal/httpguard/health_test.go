package httpguard

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestHealthServer: /healthz answers, /readyz says why it is not ready
// until it is, /metrics serves the gatherer (and is absent without one),
// and a header past DefaultMaxHeaderBytes is refused, as net/http's 1 MiB
// default would not.
func TestHealthServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubeward_test_gauge", Help: "a gauge"}))
	var isReady atomic.Bool
	ready := func() error {
		if !isReady.Load() {
			return errors.New("the first evaluation is not done")
		}
		return nil
	}
	serve := func(g prometheus.Gatherer) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs, gl := HealthServer(ln, ready, g, slog.DiscardHandler)
		go func() { _ = hs.Serve(gl) }()
		t.Cleanup(func() { _ = hs.Close() })
		return "http://" + ln.Addr().String()
	}
	get := func(url string, header string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if header != "" {
			req.Header.Set("X-Big", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	base := serve(reg)
	if code, _ := get(base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get(base+"/readyz", ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "first evaluation") {
		t.Errorf("/readyz before ready: %d %q", code, body)
	}
	isReady.Store(true)
	if code, _ := get(base+"/readyz", ""); code != http.StatusOK {
		t.Errorf("/readyz when ready: %d", code)
	}
	if code, body := get(base+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "kubeward_test_gauge 0") {
		t.Errorf("/metrics: %d %q", code, body)
	}
	if code, _ := get(base+"/healthz", strings.Repeat("x", 2*DefaultMaxHeaderBytes)); code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte header: %d, want 431", 2*DefaultMaxHeaderBytes, code)
	}
	if code, _ := get(serve(nil)+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("/metrics without a gatherer: %d", code)
	}
}
