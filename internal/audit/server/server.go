// Package server is the receiving end of the API server's audit webhook
// backend (--audit-webhook-config-file): an HTTPS endpoint that takes
// EventList batches, authenticates the sender by client certificate or
// bearer token, queues batches in bounded memory and answers 429 with
// Retry-After when the queue is full, so the API server's batching backend
// retries (it retries every failed request with backoff) instead of
// kubeward dropping events it already acknowledged.
package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/prometheus/client_golang/prometheus"
)

// Source is the label of the events this server receives.
const Source = "webhook"

// Options configure a Server. At least one of ClientCAFile and Tokens is
// required: the receiver never accepts unauthenticated senders.
type Options struct {
	// CertFile and KeyFile are the serving certificate (PEM).
	CertFile, KeyFile string
	// ClientCAFile holds the CAs whose client certificates are accepted;
	// ClientNames, when set, limits them to these common names.
	ClientCAFile string
	ClientNames  []string
	// Tokens are the bearer tokens accepted.
	Tokens []string
	// Path the API server posts to (default "/").
	Path string
	// Limits bound each request body (Limits.MaxDocBytes) and its nesting.
	Limits event.Limits
	// QueueBytes bounds the bodies received but not yet processed
	// (default 64 MiB); MaxInFlight the requests being read and decoded at
	// once (default 8). Past either, requests get 429.
	QueueBytes  int64
	MaxInFlight int
	// RetryAfter is sent with 429 and 503 (default 1s).
	RetryAfter time.Duration
	// DrainTimeout bounds processing what is queued on shutdown (default
	// 30s); what is left then is counted as dropped.
	DrainTimeout time.Duration
	Logger       *slog.Logger
}

func (o *Options) defaults() {
	if o.Path == "" {
		o.Path = "/"
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 64 << 20
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 8
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Metrics of the receiver.
type Metrics struct {
	Requests   *prometheus.CounterVec // by code
	QueueBytes prometheus.Gauge
}

// NewMetrics creates the receiver's metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "webhook_requests_total",
			Help: "Audit webhook requests by response code.",
		}, []string{"code"}),
		QueueBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "webhook_queue_bytes",
			Help: "Bytes of received audit batches waiting to be processed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.Requests, m.QueueBytes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Server receives audit batches and hands them to a handler (the pipeline
// processor) from one goroutine, in arrival order.
type Server struct {
	o        Options
	h        event.Handler
	events   *pipeline.Metrics
	metrics  *Metrics
	tls      *tls.Config
	tokens   [][]byte
	decoders sync.Pool
	inflight chan struct{}

	mu       sync.Mutex // guards queue against close
	closed   bool
	queue    chan *batch
	queued   atomic.Int64
	accepted atomic.Uint64
	maxBody  int64
	expired  atomic.Bool // the drain deadline passed: count, do not process
}

type batch struct {
	dec  *event.Decoder
	evs  []*event.Event
	size int64
	from string
}

// New prepares a server; Serve runs it.
func New(o Options, h event.Handler, events *pipeline.Metrics, m *Metrics) (*Server, error) {
	o.defaults()
	if o.ClientCAFile == "" && len(o.Tokens) == 0 {
		return nil, errors.New("audit receiver: a client CA or a token is required; it does not accept unauthenticated senders")
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("audit receiver: serving certificate: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if o.ClientCAFile != "" {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("audit receiver: client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("audit receiver: no certificate in %s", o.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	s := &Server{o: o, h: h, events: events, metrics: m, tls: cfg,
		inflight: make(chan struct{}, o.MaxInFlight),
		// The channel only orders batches; QueueBytes is the real bound.
		queue: make(chan *batch, 4096)}
	for _, t := range o.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.tokens = append(s.tokens, []byte(t))
		}
	}
	s.decoders.New = func() any { return event.NewDecoder(o.Limits) }
	s.maxBody = int64(event.NewDecoder(o.Limits).Limits().MaxDocBytes)
	return s, nil
}

// Serve accepts connections on ln (wrapped in TLS) until ctx ends, then
// stops accepting, finishes the requests in progress and processes every
// batch it acknowledged.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	done := make(chan struct{})
	go s.consume(done)
	hs := &http.Server{
		Handler:           s,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.o.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tls.NewListener(ln, s.tls)) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.o.DrainTimeout)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	s.mu.Lock()
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	select {
	case <-done:
	case <-sctx.Done():
		s.expired.Store(true)
		s.o.Logger.Error("audit receiver: shutdown deadline reached; counting unprocessed batches as dropped", "queuedBytes", s.queued.Load())
		<-done
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// consume processes batches in order. Once the drain deadline has passed
// it only counts what is left as dropped, so shutdown ends.
func (s *Server) consume(done chan struct{}) {
	defer close(done)
	for b := range s.queue {
		if s.expired.Load() {
			s.events.Count(Source, pipeline.Dropped, len(b.evs))
			s.o.Logger.Error("audit batch dropped at shutdown", "from", b.from, "events", len(b.evs))
		} else {
			s.h.Events(b.evs, event.Pos{Name: b.from})
		}
		s.release(b)
	}
}

func (s *Server) release(b *batch) {
	s.decoders.Put(b.dec)
	n := s.queued.Add(-b.size)
	if s.metrics != nil {
		s.metrics.QueueBytes.Set(float64(n))
	}
}

// ServeHTTP implements the webhook endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := s.serve(w, r)
	if s.metrics != nil {
		s.metrics.Requests.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) int {
	if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
		return reply(w, http.StatusOK, "ok")
	}
	if r.URL.Path != s.o.Path {
		return reply(w, http.StatusNotFound, "not found")
	}
	if !s.authenticated(r) {
		return reply(w, http.StatusUnauthorized, "unauthorized")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return reply(w, http.StatusMethodNotAllowed, "POST an audit.k8s.io/v1 EventList")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return reply(w, http.StatusUnsupportedMediaType, "send application/json")
		}
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		return reply(w, http.StatusUnsupportedMediaType, "content encoding not supported")
	}
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		return s.busy(w, r, -1)
	}
	max := s.maxBody
	if r.ContentLength > max {
		s.malformed(r, fmt.Errorf("body of %d bytes exceeds the limit of %d", r.ContentLength, max))
		return reply(w, http.StatusRequestEntityTooLarge, "batch too large")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		s.malformed(r, fmt.Errorf("reading body: %w", err))
		return reply(w, http.StatusBadRequest, "could not read body")
	}
	if int64(len(body)) > max {
		s.malformed(r, fmt.Errorf("body exceeds the limit of %d bytes", max))
		return reply(w, http.StatusRequestEntityTooLarge, "batch too large")
	}
	dec := s.decoders.Get().(*event.Decoder)
	evs, err := dec.Decode(body)
	if err != nil {
		s.decoders.Put(dec)
		s.malformed(r, err)
		return reply(w, http.StatusBadRequest, "malformed EventList")
	}
	size := int64(len(body))
	if s.queued.Add(size) > s.o.QueueBytes && s.queued.Load() != size {
		s.queued.Add(-size)
		s.decoders.Put(dec)
		return s.busy(w, r, len(evs))
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.queued.Add(-size)
		s.decoders.Put(dec)
		s.events.Count(Source, pipeline.Rejected, len(evs))
		w.Header().Set("Retry-After", retryAfter(s.o.RetryAfter))
		return reply(w, http.StatusServiceUnavailable, "shutting down")
	}
	select {
	case s.queue <- &batch{dec: dec, evs: evs, size: size, from: "webhook:" + r.RemoteAddr}:
	default:
		s.mu.Unlock()
		s.queued.Add(-size)
		s.decoders.Put(dec)
		return s.busy(w, r, len(evs))
	}
	s.mu.Unlock()
	if s.metrics != nil {
		s.metrics.QueueBytes.Set(float64(s.queued.Load()))
	}
	s.accepted.Add(uint64(len(evs)))
	return reply(w, http.StatusOK, "")
}

// busy refuses a batch so the API server retries it; n is its number of
// events, or -1 when it was refused unread.
func (s *Server) busy(w http.ResponseWriter, r *http.Request, n int) int {
	if n > 0 {
		s.events.Count(Source, pipeline.Rejected, n)
	}
	s.o.Logger.Warn("audit receiver overloaded; batch refused for the sender to retry", "remote", r.RemoteAddr, "events", n, "queuedBytes", s.queued.Load())
	w.Header().Set("Retry-After", retryAfter(s.o.RetryAfter))
	return reply(w, http.StatusTooManyRequests, "busy, retry")
}

func (s *Server) malformed(r *http.Request, err error) {
	s.h.Malformed(&event.ReadError{Pos: event.Pos{Name: "webhook:" + r.RemoteAddr}, Err: err})
}

// authenticated accepts a verified client certificate (with an allowed
// common name) or a known bearer token.
func (s *Server) authenticated(r *http.Request) bool {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
		if len(s.o.ClientNames) == 0 || slices.Contains(s.o.ClientNames, cn) {
			return true
		}
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	match := 0
	for _, t := range s.tokens {
		match |= subtle.ConstantTimeCompare([]byte(tok), t)
	}
	return match == 1
}

// Accepted is the number of events acknowledged with 200 so far.
func (s *Server) Accepted() uint64 { return s.accepted.Load() }

func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

func reply(w http.ResponseWriter, code int, msg string) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if msg != "" {
		io.WriteString(w, msg+"\n")
	}
	return code
}
