package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServeMetrics serves g's metrics at /metrics over TLS 1.2+ with the given
// certificate until ctx ends. With tokens, a scrape must present one as a
// bearer token (401 otherwise): the alert counters tell whoever reads them
// which of their actions were detected, so they are not for anyone who
// can reach the port. /healthz needs none.
func ServeMetrics(ctx context.Context, ln net.Listener, certFile, keyFile string, tokens []string, g prometheus.Gatherer, log *slog.Logger) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	accepted := tokenBytes(tokens)
	metrics := promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if len(accepted) > 0 && !bearerOK(r, accepted) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	hs := &http.Server{Handler: mux, TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: httpguard.ErrorLog(httpguard.Logger(log).Handler())}
	ln = httpguard.Limits{MaxConns: 16}.Apply(hs, ln, nil)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tls.NewListener(ln, cfg)) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

func tokenBytes(tokens []string) [][]byte {
	var out [][]byte
	for _, t := range tokens {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, []byte(t))
		}
	}
	return out
}

// bearerOK reports whether the request's bearer token is one of tokens,
// comparing in constant time.
func bearerOK(r *http.Request, tokens [][]byte) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(tok), t)
	}
	return match == 1
}
