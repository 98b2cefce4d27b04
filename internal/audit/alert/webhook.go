package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// WebhookOptions configure a Webhook. Zero fields take defaults.
type WebhookOptions struct {
	URL string
	// Header is added to every request (Authorization, for instance).
	Header http.Header
	// Client sends the requests; its Transport carries the TLS settings.
	// Its Timeout is ignored in favour of Timeout.
	Client *http.Client
	// QueueSize bounds the alerts waiting for delivery (default 1024).
	// When it is full the oldest waiting alert is dropped and counted.
	QueueSize int
	// MaxAttempts per alert (default 8), with exponential backoff from
	// InitialBackoff (500ms) to MaxBackoff (30s), full jitter, and the
	// receiver's Retry-After honoured up to MaxBackoff.
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Timeout bounds each attempt (default 10s).
	Timeout time.Duration
	Logger  *slog.Logger
}

func (o *WebhookOptions) defaults() {
	if o.QueueSize <= 0 {
		o.QueueSize = 1024
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Webhook posts each alert as a JSON object to a URL, from a bounded queue,
// in order, retrying transient failures.
type Webhook struct {
	opts    WebhookOptions
	metrics *Metrics
	q       chan *detect.Alert
	mu      sync.Mutex // serialises enqueue's drop-oldest
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	dropMu      sync.Mutex
	dropped     uint64
	lastDropLog time.Time
}

// NewWebhook starts the delivery worker.
func NewWebhook(o WebhookOptions, m *Metrics) (*Webhook, error) {
	if o.URL == "" {
		return nil, errors.New("webhook: URL is required")
	}
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	w := &Webhook{opts: o, metrics: m, q: make(chan *detect.Alert, o.QueueSize), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go w.run()
	return w, nil
}

func (w *Webhook) Name() string { return "webhook" }

// Send queues the alert; it never blocks.
func (w *Webhook) Send(a *detect.Alert) error {
	c := *a
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.q <- &c:
	default:
		select {
		case old := <-w.q:
			w.drop(old, "queue full")
		default:
		}
		select {
		case w.q <- &c:
		default:
			w.drop(&c, "queue full")
		}
	}
	w.metrics.queue(w.Name(), len(w.q))
	return nil
}

func (w *Webhook) drop(a *detect.Alert, why string) {
	w.metrics.delivered(w.Name(), "dropped")
	w.dropMu.Lock()
	defer w.dropMu.Unlock()
	w.dropped++
	// One log line per 10s at most: a flood of drops must not become a
	// flood of logs.
	if time.Since(w.lastDropLog) >= 10*time.Second {
		w.lastDropLog = time.Now()
		w.opts.Logger.Warn("alert webhook dropped alerts", "reason", why, "droppedTotal", w.dropped, "lastRule", a.Rule, "lastAuditID", a.AuditID)
	}
}

// Dropped returns how many alerts were dropped.
func (w *Webhook) Dropped() uint64 {
	w.dropMu.Lock()
	defer w.dropMu.Unlock()
	return w.dropped
}

func (w *Webhook) run() {
	defer close(w.done)
	for a := range w.q {
		w.metrics.queue(w.Name(), len(w.q))
		if w.ctx.Err() != nil {
			w.drop(a, "shutting down")
			continue
		}
		if err := w.deliver(a); err != nil {
			w.metrics.delivered(w.Name(), "error")
			w.opts.Logger.Error("alert webhook delivery failed", "rule", a.Rule, "auditID", a.AuditID, "err", err)
			continue
		}
		w.metrics.delivered(w.Name(), "ok")
	}
}

// errPermanent marks responses that retrying will not fix.
type errPermanent struct{ error }

func (w *Webhook) deliver(a *detect.Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	var last error
	for attempt := 1; attempt <= w.opts.MaxAttempts; attempt++ {
		retryAfter, err := w.post(body)
		if err == nil {
			return nil
		}
		var perm errPermanent
		if errors.As(err, &perm) {
			return err
		}
		last = err
		if attempt == w.opts.MaxAttempts {
			break
		}
		wait := w.backoff(attempt, retryAfter)
		select {
		case <-time.After(wait):
		case <-w.ctx.Done():
			return fmt.Errorf("shutting down after %d attempts: %w", attempt, last)
		}
	}
	return fmt.Errorf("giving up after %d attempts: %w", w.opts.MaxAttempts, last)
}

// backoff is full jitter over an exponential ceiling, or the receiver's
// Retry-After when it asks for longer.
func (w *Webhook) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := w.opts.InitialBackoff << (attempt - 1)
	if ceiling > w.opts.MaxBackoff || ceiling <= 0 {
		ceiling = w.opts.MaxBackoff
	}
	d := time.Duration(rand.Int64N(int64(ceiling)) + 1)
	if retryAfter > d {
		d = min(retryAfter, w.opts.MaxBackoff)
	}
	return d
}

func (w *Webhook) post(body []byte) (retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.opts.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errPermanent{err}
	}
	for k, vs := range w.opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			retryAfter = time.Duration(s) * time.Second
		}
		return retryAfter, fmt.Errorf("receiver answered %s", resp.Status)
	default:
		return 0, errPermanent{fmt.Errorf("receiver answered %s", resp.Status)}
	}
}

// Close stops accepting alerts and delivers what is queued, until ctx
// ends; what is left then is dropped and counted.
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	close(w.q)
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.cancel()
		<-w.done
		return fmt.Errorf("webhook: closed with undelivered alerts: %w", ctx.Err())
	}
}
