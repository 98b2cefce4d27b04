package httpguard

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HealthServer serves /healthz, /readyz (503 with ready's error while it
// fails) and, when g is not nil, /metrics, in plain HTTP on the listener it
// returns: the kubelet's probes and Prometheus's scrapes from inside the
// cluster. Its timeouts, header bound and connection cap keep a client
// that holds connections open or sends huge headers from starving the
// probes, which would get the pod restarted.
func HealthServer(ln net.Listener, ready func() error, g prometheus.Gatherer, log slog.Handler) (*http.Server, net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if g != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second,
		IdleTimeout: 90 * time.Second, ErrorLog: ErrorLog(log)}
	return hs, Limits{MaxConns: 32}.Apply(hs, ln, nil)
}
