package admission

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/prometheus/client_golang/prometheus"
)

// Server runs the webhook: the review path over HTTPS, and health,
// readiness and metrics over plain HTTP on a second listener (kubelet
// probes and Prometheus scrapes need no certificate).
type Server struct {
	Webhook *Webhook
	Certs   Certificates
	// Path of the review endpoint (DefaultPath).
	Path string
	// Ready reports whether the webhook can judge (namespace cache filled);
	// nil means always. Readiness also fails once shutdown begins.
	Ready func() error
	// Gatherer serves /metrics; nil leaves it out.
	Gatherer prometheus.Gatherer
	// ShutdownDelay keeps serving, unready, after the stop signal, while
	// the Service's endpoints drop this replica (default 0).
	ShutdownDelay time.Duration
	// ShutdownTimeout bounds waiting for requests in flight (default 20s).
	ShutdownTimeout time.Duration
	// Limits cap connections, HTTP/2 streams and buffers on the review
	// port (zero fields take httpguard's defaults).
	Limits httpguard.Limits
	Log    *slog.Logger

	stopping atomic.Bool
}

// Serve serves reviews on ln (TLS is added here) and health on healthLn
// (nil: none) until ctx ends, then shuts down gracefully: readiness fails,
// ShutdownDelay passes, requests in flight finish.
func (s *Server) Serve(ctx context.Context, ln, healthLn net.Listener) error {
	s.Log = httpguard.Logger(s.Log)
	if s.Path == "" {
		s.Path = DefaultPath
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = 20 * time.Second
	}
	mux := http.NewServeMux()
	mux.Handle(s.Path, s.Webhook)
	hs := &http.Server{
		Handler:           mux,
		TLSConfig:         TLSConfig(s.Certs),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		// TLS handshake failures show a caBundle that does not match; the
		// guard keeps a client from writing one line per connection or
		// per HTTP/2 stream.
		ErrorLog: httpguard.ErrorLog(s.Log.Handler()),
	}
	var open prometheus.Gauge
	if s.Webhook != nil && s.Webhook.Metrics != nil {
		open = s.Webhook.Metrics.OpenConnections
	}
	ln = s.Limits.Apply(hs, ln, open)
	errc := make(chan error, 2)
	go func() { errc <- serveErr("webhook", hs.ServeTLS(ln, "", "")) }()
	var health *http.Server
	if healthLn != nil {
		health, healthLn = httpguard.HealthServer(healthLn, s.ready, s.Gatherer, s.Log.Handler())
		go func() { errc <- serveErr("health", health.Serve(healthLn)) }()
	}
	s.Log.Info("serving admission reviews", "address", ln.Addr().String(), "path", s.Path)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.stopping.Store(true)
	if err == nil && s.ShutdownDelay > 0 {
		s.Log.Info("shutting down: unready, still serving", "delay", s.ShutdownDelay.String())
		time.Sleep(s.ShutdownDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownTimeout)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil && err == nil {
		err = fmt.Errorf("webhook shutdown: %w", serr)
	}
	if health != nil {
		_ = health.Shutdown(sctx)
	}
	s.Log.Info("stopped")
	return err
}

func serveErr(what string, err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("%s server: %w", what, err)
}

func (s *Server) ready() error {
	if s.stopping.Load() {
		return errors.New("shutting down")
	}
	if c, err := s.Certs.GetCertificate(&tls.ClientHelloInfo{}); err != nil || c == nil {
		return errors.New("no serving certificate")
	}
	if s.Ready != nil {
		return s.Ready()
	}
	return nil
}
