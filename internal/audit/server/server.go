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
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/httpguard"
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
	// QueueBytes bounds the memory of batches received but not yet
	// processed (default 64 MiB): bodies being read, their decoded events
	// (event.Decoder.Footprint) and the queue. MaxInFlight bounds the
	// requests being read and decoded at once (default 8). Past either,
	// requests get 429.
	QueueBytes  int64
	MaxInFlight int
	// Conns caps connections, HTTP/2 streams and buffers (zero fields
	// take httpguard's defaults).
	Conns httpguard.Limits
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
	// Strings bounded, and a sender cannot multiply the warnings.
	o.Logger = httpguard.Logger(o.Logger)
}

// Reasons a batch is refused, the "reason" label of
// kubeward_audit_webhook_refused_batches_total.
const (
	// RefusedBusy: MaxInFlight requests were being read and decoded.
	RefusedBusy = "busy"
	// RefusedQueueFull: the batch did not fit in QueueBytes.
	RefusedQueueFull = "queue_full"
	// RefusedShuttingDown: the receiver was stopping.
	RefusedShuttingDown = "shutting_down"
)

// Metrics of the receiver.
type Metrics struct {
	Requests *prometheus.CounterVec // by code
	// QueueBytes is the memory reserved from Options.QueueBytes.
	QueueBytes prometheus.Gauge
	// Refused counts refused batches by reason and by whether their
	// events were counted (as rejected in kubeward_audit_events_total).
	Refused         *prometheus.CounterVec
	OpenConnections prometheus.Gauge
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
			Help: "Memory held by audit batches being read, decoded or waiting to be processed (bounded by --queue-bytes).",
		}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "webhook_refused_batches_total",
			Help: "Audit batches refused with 429 or 503 for the sender to retry, by reason (busy, queue_full, shutting_down) and by whether their events were counted as rejected (counted) or could not be (uncounted).",
		}, []string{"reason", "events"}),
		OpenConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "webhook_open_connections",
			Help: "Connections open on the receiver (at most --max-connections).",
		}),
	}
	for _, c := range []prometheus.Collector{m.Requests, m.QueueBytes, m.Refused, m.OpenConnections} {
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
	budget   *httpguard.Budget
	inflight chan struct{}
	// decoders are kept for reuse, at most MaxInFlight of them, having
	// forgotten their last batch.
	decoders chan *event.Decoder
	// counters are the buffers of refused bodies being counted, at most
	// MaxInFlight at once.
	counters chan []byte

	mu       sync.Mutex // guards queue against close
	closed   bool
	queue    chan *batch
	accepted atomic.Uint64
	maxBody  int64
	expired  atomic.Bool // the drain deadline passed: count, do not process
}

type batch struct {
	dec  *event.Decoder
	evs  []*event.Event
	size int64 // reserved from the budget
	from string
}

// countBufBytes is the buffer a refused body is counted through.
const countBufBytes = 32 << 10

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
	// HTTP/2 when the sender offers it (the API server's client does):
	// one connection carries its concurrent batches.
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
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
		budget:   httpguard.NewBudget(o.QueueBytes),
		inflight: make(chan struct{}, o.MaxInFlight),
		decoders: make(chan *event.Decoder, o.MaxInFlight),
		counters: make(chan []byte, o.MaxInFlight),
		// The channel only orders batches; QueueBytes is the real bound.
		queue: make(chan *batch, 4096)}
	for range o.MaxInFlight {
		s.counters <- nil // allocated on first use
	}
	s.tokens = tokenBytes(o.Tokens)
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
		ErrorLog:          httpguard.ErrorLog(s.o.Logger.Handler()),
	}
	var open prometheus.Gauge
	if s.metrics != nil {
		open = s.metrics.OpenConnections
	}
	ln = s.o.Conns.Apply(hs, ln, open)
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
		s.o.Logger.Error("audit receiver: shutdown deadline reached; counting unprocessed batches as dropped", "heldBytes", s.budget.InUse())
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
		s.putDecoder(b.dec)
		s.release(b.size)
	}
}

func (s *Server) getDecoder() *event.Decoder {
	select {
	case d := <-s.decoders:
		return d
	default:
		return event.NewDecoder(s.o.Limits)
	}
}

func (s *Server) putDecoder(d *event.Decoder) {
	d.Forget()
	select {
	case s.decoders <- d:
	default:
	}
}

func (s *Server) reserve(n int64) bool {
	if !s.budget.TryAcquire(n) {
		return false
	}
	s.queueGauge()
	return true
}

func (s *Server) release(n int64) {
	s.budget.Release(n)
	s.queueGauge()
}

func (s *Server) queueGauge() {
	if s.metrics != nil {
		s.metrics.QueueBytes.Set(float64(s.budget.InUse()))
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
	if r.ContentLength > s.maxBody {
		s.malformed(r, fmt.Errorf("body of %d bytes exceeds the limit of %d", r.ContentLength, s.maxBody))
		return reply(w, http.StatusRequestEntityTooLarge, "batch too large")
	}
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		return s.refuse(w, r, RefusedBusy, nil, -1)
	}
	body, held, err := s.read(r)
	if err != nil {
		if errors.Is(err, errOverBudget) {
			return s.refuse(w, r, RefusedQueueFull, body, -1)
		}
		s.release(held)
		if errors.Is(err, errTooLarge) {
			s.malformed(r, fmt.Errorf("body exceeds the limit of %d bytes", s.maxBody))
			return reply(w, http.StatusRequestEntityTooLarge, "batch too large")
		}
		s.malformed(r, fmt.Errorf("reading body: %w", err))
		return reply(w, http.StatusBadRequest, "could not read body")
	}
	dec := s.getDecoder()
	evs, err := dec.Decode(body)
	if err != nil {
		s.putDecoder(dec)
		s.release(held)
		s.malformed(r, err)
		return reply(w, http.StatusBadRequest, "malformed EventList")
	}
	// The decoded events cost more than their bytes (small events several
	// times more): they are held until processed, so they count too.
	if fp := dec.Footprint(); s.reserve(fp) {
		held += fp
	} else {
		n := len(evs)
		s.putDecoder(dec)
		s.release(held)
		return s.refuse(w, r, RefusedQueueFull, nil, n)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		n := len(evs)
		s.putDecoder(dec)
		s.release(held)
		return s.refuse(w, r, RefusedShuttingDown, nil, n)
	}
	select {
	case s.queue <- &batch{dec: dec, evs: evs, size: held, from: "webhook:" + r.RemoteAddr}:
	default:
		s.mu.Unlock()
		n := len(evs)
		s.putDecoder(dec)
		s.release(held)
		return s.refuse(w, r, RefusedQueueFull, nil, n)
	}
	s.mu.Unlock()
	s.accepted.Add(uint64(len(evs)))
	return reply(w, http.StatusOK, "")
}

var (
	errOverBudget = errors.New("over the queue's memory")
	errTooLarge   = errors.New("too large")
)

// readStep is how much more of a body of unknown length is reserved at a
// time.
const readStep = 64 << 10

// read reads the body into memory reserved from the budget first: all of
// it when its length is announced (into a buffer of that size), else step
// by step. It returns the bytes and the reservation; with errOverBudget,
// the part read so far (nothing reserved is left held), for counting.
func (s *Server) read(r *http.Request) ([]byte, int64, error) {
	if r.ContentLength >= 0 {
		if !s.reserve(r.ContentLength) {
			return nil, 0, errOverBudget
		}
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, r.ContentLength, err
		}
		return body, r.ContentLength, nil
	}
	var body []byte
	held := int64(0)
	for {
		if len(body) == cap(body) {
			grow := int64(max(readStep, cap(body)))
			if int64(cap(body))+grow > s.maxBody+1 {
				grow = s.maxBody + 1 - int64(cap(body))
			}
			if grow <= 0 {
				return nil, held, errTooLarge
			}
			if !s.reserve(grow) {
				s.release(held)
				return body, 0, errOverBudget
			}
			held += grow
			nb := make([]byte, len(body), int64(cap(body))+grow)
			copy(nb, body)
			body = nb
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}

// refuse answers 429 (503 when shutting down) so the sender retries, and
// counts the batch: n is its number of events when it was decoded, -1 when
// it was not read, or only its first bytes (read): those are then counted
// on the way, through a small buffer, if a counting slot is free, without
// keeping the body. Each refusal counts its events, so a batch refused and
// retried counts each time.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, reason string, read []byte, n int) int {
	if n < 0 {
		n = s.count(r, read)
	}
	counted := "counted"
	if n < 0 {
		counted = "uncounted"
	} else {
		s.events.Count(Source, pipeline.Rejected, n)
	}
	if s.metrics != nil {
		s.metrics.Refused.WithLabelValues(reason, counted).Inc()
	}
	s.o.Logger.Warn("audit batch refused for the sender to retry", "reason", reason, "remote", r.RemoteAddr, "events", n,
		"heldBytes", s.budget.InUse())
	w.Header().Set("Retry-After", retryAfter(s.o.RetryAfter))
	if reason == RefusedShuttingDown {
		return reply(w, http.StatusServiceUnavailable, "shutting down")
	}
	return reply(w, http.StatusTooManyRequests, "busy, retry")
}

// count counts the events of a refused body, read holding its first
// bytes; -1 when no counting slot is free or the body cannot be read.
func (s *Server) count(r *http.Request, read []byte) int {
	var buf []byte
	select {
	case buf = <-s.counters:
	default:
		return -1
	}
	defer func() { s.counters <- buf }()
	if buf == nil {
		buf = make([]byte, countBufBytes)
	}
	var c event.Counter
	c.Write(read)
	rest := s.maxBody - int64(len(read))
	if n, err := io.CopyBuffer(&c, io.LimitReader(r.Body, rest+1), buf); err != nil || n > rest {
		return -1
	}
	return c.Events()
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
	return bearerOK(r, s.tokens)
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
