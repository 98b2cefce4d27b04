package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// NamespaceLabels finds a namespace's labels, which set its levels.
type NamespaceLabels interface {
	Labels(ctx context.Context, namespace string) (map[string]string, error)
}

// StaticNamespaces is a fixed map of namespace labels (tests, and reviews
// outside a cluster); unknown namespaces have no labels.
type StaticNamespaces map[string]map[string]string

func (s StaticNamespaces) Labels(_ context.Context, ns string) (map[string]string, error) {
	return s[ns], nil
}

// CachedLabels implements cachedNamespaceLabels: every namespace is in memory.
func (s StaticNamespaces) CachedLabels(ns string) (map[string]string, bool) { return s[ns], true }

// cachedNamespaceLabels is a NamespaceLabels that can answer from memory:
// ok is false when Labels would have to look further. A review whose
// namespace is in memory then needs no timer for the lookup.
type cachedNamespaceLabels interface {
	CachedLabels(namespace string) (labels map[string]string, ok bool)
}

// Webhook answers admission reviews. Its fields are read-only once it
// serves; it is safe for concurrent use.
type Webhook struct {
	Eval       *Evaluator
	Policy     *Policy
	Namespaces NamespaceLabels
	Metrics    *Metrics
	Log        *slog.Logger
	// LookupTimeout bounds a namespace lookup that misses the cache
	// (default 2s); after it the defaults apply.
	LookupTimeout time.Duration
	// Budget bounds the memory of the reviews in progress (see
	// reviewCost); a review waits up to BudgetWait for its share, then is
	// answered 429.
	Budget     *httpguard.Budget
	BudgetWait time.Duration

	// bodies and answers hold buffers of past reviews (of at most
	// maxPooledBuffer bytes) for the next ones.
	bodies, answers sync.Pool
	// warm runs HTTP/2 reviews on goroutines whose stacks have grown
	// (warmPool); nil runs them on the server's goroutine.
	warm *warmPool
}

// maxPooledBuffer bounds the buffers kept between reviews: a typical review
// is a few KiB, and a buffer a large or hostile review grew stays out of
// the pools.
const maxPooledBuffer = 64 << 10

// DefaultInFlightBytes is the default Budget: about 300 typical reviews,
// or nine of the largest, at once.
const DefaultInFlightBytes = 64 << 20

// New prepares a webhook; nil metrics and logger are replaced by private
// ones. The logger is guarded (httpguard): strings are bounded, and a
// client cannot multiply the warnings its requests cause.
func New(eval *Evaluator, pol *Policy, ns NamespaceLabels, m *Metrics, log *slog.Logger) *Webhook {
	if m == nil {
		m, _ = NewMetrics(prometheus.NewRegistry())
	}
	if ns == nil {
		ns = StaticNamespaces{}
	}
	return &Webhook{Eval: eval, Policy: pol, Namespaces: ns, Metrics: m, Log: httpguard.Logger(log), LookupTimeout: 2 * time.Second,
		Budget: httpguard.NewBudget(DefaultInFlightBytes), BudgetWait: time.Second, warm: newWarmPool(warmIdle)}
}

// Memory a review may hold while it is judged, reserved from the Budget:
// the body, its decoded copy and the typed objects (each JSON object or
// array decodes into a Go value of up to nodeBytes), and what the checks
// and the answer take.
const (
	reviewFixedBytes = 128 << 10
	nodeBytes        = 1 << 10
	// MaxReviewCost is the reservation of the largest review judged; a
	// Budget must hold at least one.
	MaxReviewCost = 3*MaxBodyBytes + reviewFixedBytes + 2*MaxObjectNodes*nodeBytes
)

// reviewCost is the reservation of a review of size bytes and nodes JSON
// objects and arrays; objects over MaxObjectNodes are refused before they
// are typed.
func reviewCost(size, nodes int) int64 {
	return int64(3*size+reviewFixedBytes) + int64(min(nodes, 2*MaxObjectNodes))*nodeBytes
}

// maxWhyLen bounds Decision.Why, which may quote the request (its
// operation, kind, owner) and goes to the audit annotations and the log.
const maxWhyLen = 256

// Admit decides one request. An error is a request that cannot be
// evaluated (a *RequestError, answered as a denial with its code).
func (w *Webhook) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) (*Decision, error) {
	return w.admitDecoded(ctx, &decodedReview{AdmissionReview: &admissionv1.AdmissionReview{Request: req}})
}

// admitDecoded is Admit with the objects typed already when r has them.
func (w *Webhook) admitDecoded(ctx context.Context, r *decodedReview) (*Decision, error) {
	d, err := w.admit(ctx, r.Request, r.object, r.oldObject)
	if d != nil {
		d.Why = shorten(d.Why, maxWhyLen)
	}
	return d, err
}

// typed returns pre, or raw decoded as DecodeObject does.
func typed(pre runtime.Object, raw runtime.RawExtension, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if pre != nil {
		return pre, nil
	}
	return DecodeObject(raw, gvk)
}

func (w *Webhook) admit(ctx context.Context, req *admissionv1.AdmissionRequest, preObj, preOld runtime.Object) (*Decision, error) {
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	d0 := &Decision{Outcome: Allow, Object: inventory.Ref{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: req.Namespace, Name: req.Name}}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		d0.Why = "operation " + string(req.Operation) + " is not judged"
		return d0, nil
	}
	if why := w.Policy.Exempt(req.Namespace, req.UserInfo); why != "" {
		d0.Outcome, d0.Why = Exempt, why
		return d0, nil
	}
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, badRequest("the request has no kind")
	}
	obj, err := typed(preObj, req.Object, gvk)
	if errors.Is(err, ErrNoObject) {
		return nil, badRequest("the %s request has no object", req.Operation)
	}
	if err != nil {
		return nil, err
	}
	if obj == nil {
		return w.admitUnstructured(ctx, req, gvk, d0)
	}
	enforceOnly := false
	if acc, err := meta.Accessor(obj); err == nil {
		if owner, ok := madeByController(gvk.GroupKind(), acc, req.UserInfo); ok {
			if !w.Policy.EnforceControlled {
				d0.Outcome, d0.Why = Owner, "made by the controller of "+owner+", judged when it was admitted"
				return d0, nil
			}
			enforceOnly = true
		}
	}
	lv, notes := w.levels(ctx, req.Namespace)
	if b := w.Eval.ImageBudget(); b > 0 {
		// One budget for the review's registry work, old object included.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b)
		defer cancel()
	}
	ev, err := w.Eval.EvaluateContext(ctx, obj, req.Namespace)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	var old []check.Finding
	if req.Operation == admissionv1.Update {
		// An old object that does not decode judges the update whole.
		if oldObj, err := typed(preOld, req.OldObject, gvk); err == nil && oldObj != nil {
			if oev, err := w.Eval.EvaluateContext(ctx, oldObj, req.Namespace); err == nil {
				old = oev.Findings
			}
		}
	}
	d := judge(lv, ev.Findings, old, enforceOnly)
	d.Object = ev.Object.Ref
	d.Notes = append(notes, w.problems(ev)...)
	return d, nil
}

// admitUnstructured judges a kind without a Go type: custom checks may
// read custom resources; with none, it is admitted.
func (w *Webhook) admitUnstructured(ctx context.Context, req *admissionv1.AdmissionRequest, gvk schema.GroupVersionKind, d0 *Decision) (*Decision, error) {
	if !w.Eval.Reads(gvk.GroupKind()) {
		d0.Why = "no check reads " + gvkString(gvk)
		return d0, nil
	}
	u, err := DecodeUnstructured(req.Object, gvk)
	if err != nil {
		return nil, err
	}
	lv, notes := w.levels(ctx, req.Namespace)
	ev, err := w.Eval.EvaluateUnstructured(u, req.Namespace)
	if err != nil {
		return nil, err
	}
	var old []check.Finding
	if req.Operation == admissionv1.Update {
		if ou, err := DecodeUnstructured(req.OldObject, gvk); err == nil {
			if oev, err := w.Eval.EvaluateUnstructured(ou, req.Namespace); err == nil {
				old = oev.Findings
			}
		}
	}
	d := judge(lv, ev.Findings, old, false)
	d.Object = ev.Object.Ref
	d.Notes = append(notes, w.problems(ev)...)
	return d, nil
}

// levels reads the namespace's levels; a namespace that cannot be read
// takes the defaults (the failure is logged).
func (w *Webhook) levels(ctx context.Context, ns string) (Levels, []string) {
	if ns == "" {
		return w.Policy.Defaults, nil
	}
	if c, ok := w.Namespaces.(cachedNamespaceLabels); ok {
		if labels, ok := c.CachedLabels(ns); ok {
			return w.Policy.Levels(labels) // no lookup to bound
		}
	}
	ctx, cancel := context.WithTimeout(ctx, w.LookupTimeout)
	defer cancel()
	labels, err := w.Namespaces.Labels(ctx, ns)
	if err != nil {
		w.Log.Warn("namespace labels unavailable; using the default levels", "namespace", ns, "error", err.Error())
		return w.Policy.Defaults, nil
	}
	return w.Policy.Levels(labels)
}

// problems turns the runner's problems into notes for the user
// (suppression annotations that do not suppress) and log lines (checks
// that failed, whose stack is for the developers, not the requester).
func (w *Webhook) problems(ev *Evaluation) []string {
	var notes []string
	for _, p := range ev.Problems {
		if p.Level == diag.Error {
			w.Metrics.CheckErrors.Inc()
			w.Log.Error("check failed", "object", ev.Object.Ref.String(), "problem", p.Message)
			continue
		}
		notes = append(notes, p.Message)
	}
	return notes
}

// ServeHTTP answers POSTed AdmissionReviews.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor >= 2 {
		// The HTTP/2 server gave this request a new goroutine; the review
		// runs on one whose stack has grown already (warmPool).
		w.warm.do(func() { w.serveHTTP(rw, r) })
		return
	}
	w.serveHTTP(rw, r)
}

func (w *Webhook) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		// A bug must cost one request, not the process, and never print
		// the object: the log gets the panic value and the stack only.
		if p := recover(); p != nil {
			w.Metrics.Requests.WithLabelValues("500").Inc()
			w.Log.Error("panic while answering a review", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			_ = w.writeReview(rw, http.StatusInternalServerError, &admissionv1.AdmissionResponse{Result: &metav1.Status{
				Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: "kubeward: internal error"}})
		}
	}()
	code, review, d, err := w.serve(rw, r)
	w.Metrics.requests(code).Inc()
	elapsed := time.Since(start)
	w.Metrics.Duration.Observe(elapsed.Seconds())
	if review == nil {
		w.Log.Warn("bad admission request", "code", code, "error", err.Error(), "remote", r.RemoteAddr)
		return
	}
	req := review.Request
	dry := req.DryRun != nil && *req.DryRun
	outcome := Invalid
	if d != nil {
		outcome = d.Outcome
	}
	w.Metrics.decisions(outcome, req.Operation, dry).Inc()
	// Typed attributes (LogAttrs), not key-value pairs: each pair's value
	// would be boxed into an interface first.
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs, slog.String("uid", string(req.UID)), slog.String("kind", kindString(req.Kind)),
		slog.String("namespace", req.Namespace), slog.String("name", req.Name), slog.String("operation", string(req.Operation)),
		slog.String("user", req.UserInfo.Username), slog.Bool("dryRun", dry), slog.String("decision", string(outcome)),
		slog.Float64("durationMs", float64(elapsed.Microseconds())/1000))
	if err != nil {
		w.Log.LogAttrs(context.Background(), slog.LevelWarn, "admission review not evaluated", append(attrs, slog.String("error", err.Error()))...)
		return
	}
	for _, m := range []struct {
		mode string
		fs   []check.Finding
	}{{"enforce", d.Denied}, {"warn", d.Warned}, {"audit", d.Audited}} {
		for _, f := range m.fs {
			w.Metrics.Findings.WithLabelValues(f.CheckID, m.mode).Inc()
		}
	}
	if d.Why != "" {
		attrs = append(attrs, slog.String("why", d.Why))
	}
	// Check ids and fields only: never the object, never a value.
	attrs = append(attrs, slog.Any("denied", ids(d.Denied)), slog.Any("warned", ids(d.Warned)), slog.Any("audited", ids(d.Audited)),
		slog.Int("suppressed", d.Suppressed))
	w.Log.LogAttrs(context.Background(), slog.LevelInfo, "admission review", attrs...)
}

// kindString is a request's kind as group/version/kind, the group left
// out for the core group, as GroupVersion.String writes it.
func kindString(k metav1.GroupVersionKind) string {
	if k.Group == "" {
		return k.Version + "/" + k.Kind
	}
	return k.Group + "/" + k.Version + "/" + k.Kind
}

func ids(fs []check.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.CheckID
		if f.Path != "" {
			out[i] += " " + f.Path
		}
	}
	return out
}

// serve reads, decides and answers; it returns the HTTP status, the review
// when one was read, the decision when one was made, and the error.
func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) (int, *admissionv1.AdmissionReview, *Decision, error) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		return w.fail(rw, &RequestError{Code: http.StatusMethodNotAllowed, Msg: "POST an AdmissionReview"})
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return w.fail(rw, &RequestError{Code: http.StatusUnsupportedMediaType,
			Msg: fmt.Sprintf("content type %q is not application/json", shorten(r.Header.Get("Content-Type"), 64))})
	}
	tooBig := &RequestError{Code: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("the review is over the %s limit", size(MaxBodyBytes))}
	if r.ContentLength > MaxBodyBytes {
		return w.fail(rw, tooBig)
	}
	// Reserve memory for the body before reading it (all of the limit when
	// its length is not given), and for the decoded review once its shape
	// is known.
	held := int64(3*MaxBodyBytes + reviewFixedBytes)
	if r.ContentLength >= 0 {
		held = 3*r.ContentLength + reviewFixedBytes
	}
	if err := w.reserve(r.Context(), held); err != nil {
		return w.busy(rw, r, err)
	}
	defer func() { w.release(held) }()
	body, bodyBuf, err := w.readBody(rw, r)
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return w.fail(rw, tooBig)
		}
		return w.fail(rw, badRequest("reading the body: %v", err))
	}
	nodes := jsonNodes(body, 2*MaxObjectNodes)
	if cost := reviewCost(len(body), nodes); cost > held {
		if err := w.reserve(r.Context(), cost-held); err != nil {
			return w.busy(rw, r, err)
		}
		held = cost
	}
	decoded, err := decodeReview(body, nodes)
	// Nothing decoded refers to the body: the decoders copy what they keep.
	w.putBuffer(&w.bodies, bodyBuf)
	if err != nil {
		return w.fail(rw, err)
	}
	review, req := decoded.AdmissionReview, decoded.Request
	d, err := w.admitDecoded(r.Context(), decoded)
	var resp *admissionv1.AdmissionResponse
	if err != nil {
		var re *RequestError
		if !errors.As(err, &re) {
			re = &RequestError{Code: http.StatusInternalServerError, Msg: err.Error()}
		}
		// The request is the API server's, with a uid: answer it, so the
		// reason reaches the user instead of a bare call failure.
		resp = &admissionv1.AdmissionResponse{UID: req.UID, Result: &metav1.Status{Status: metav1.StatusFailure,
			Code: int32(re.Code), Message: "kubeward: " + re.Msg}}
		d = nil
	} else {
		d.Object.Namespace = orNS(d.Object.Namespace, req.Namespace)
		resp = d.Response(req.UID, req.DryRun != nil && *req.DryRun)
	}
	if werr := w.writeReview(rw, http.StatusOK, resp); werr != nil {
		w.Log.Warn("writing the response", "error", werr.Error())
	}
	return http.StatusOK, review, d, err
}

// readBody reads the review, into a buffer of its announced length when
// there is one (io.ReadAll would grow one to twice that): a pooled one,
// returned too, for putBuffer once the body is read.
func (w *Webhook) readBody(rw http.ResponseWriter, r *http.Request) ([]byte, *bytes.Buffer, error) {
	rd := http.MaxBytesReader(rw, r.Body, MaxBodyBytes)
	if r.ContentLength < 0 {
		body, err := io.ReadAll(rd)
		return body, nil, err
	}
	buf := getBuffer(&w.bodies)
	buf.Grow(int(r.ContentLength))
	body := buf.AvailableBuffer()[:r.ContentLength]
	if _, err := io.ReadFull(rd, body); err != nil {
		return nil, nil, err
	}
	return body, buf, nil
}

func getBuffer(pool *sync.Pool) *bytes.Buffer {
	if b, ok := pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// putBuffer keeps b in pool for the next review unless it is large (or
// nil); the caller holds no reference to its bytes after.
func (w *Webhook) putBuffer(pool *sync.Pool, b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooledBuffer {
		b.Reset()
		pool.Put(b)
	}
}

func (w *Webhook) reserve(ctx context.Context, n int64) error {
	if w.Budget == nil {
		return nil
	}
	if w.Budget.TryAcquire(n) {
		w.Metrics.InFlightBytes.Set(float64(w.Budget.InUse()))
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, w.BudgetWait)
	defer cancel()
	if err := w.Budget.Acquire(ctx, n); err != nil {
		return err
	}
	w.Metrics.InFlightBytes.Set(float64(w.Budget.InUse()))
	return nil
}

func (w *Webhook) release(n int64) {
	if w.Budget != nil {
		w.Budget.Release(n)
		w.Metrics.InFlightBytes.Set(float64(w.Budget.InUse()))
	}
}

// busy answers a review that found no memory free in time: 429, which the
// API server takes as a failed call (failurePolicy applies).
func (w *Webhook) busy(rw http.ResponseWriter, r *http.Request, err error) (int, *admissionv1.AdmissionReview, *Decision, error) {
	if errors.Is(err, httpguard.ErrOverBudget) {
		return w.fail(rw, &RequestError{Code: http.StatusRequestEntityTooLarge, Msg: "the review is too large to judge"})
	}
	if r.Context().Err() != nil {
		return w.fail(rw, badRequest("the client cancelled the request"))
	}
	rw.Header().Set("Retry-After", "1")
	return w.fail(rw, &RequestError{Code: http.StatusTooManyRequests, Msg: "busy: too many reviews in progress; retry"})
}

func orNS(ns, def string) string {
	if ns == "" {
		return def
	}
	return ns
}

// fail answers a request that is not a usable review: the status code and
// an AdmissionReview carrying the reason, for people testing with curl.
func (w *Webhook) fail(rw http.ResponseWriter, err error) (int, *admissionv1.AdmissionReview, *Decision, error) {
	re, ok := err.(*RequestError)
	if !ok {
		re = &RequestError{Code: http.StatusBadRequest, Msg: err.Error()}
	}
	_ = w.writeReview(rw, re.Code, &admissionv1.AdmissionResponse{Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: int32(re.Code), Message: "kubeward: " + re.Msg}})
	return re.Code, nil, nil, err
}

// writeReview answers with the review as json.Marshal writes it, encoded
// into a pooled buffer instead of a new one per answer.
func (w *Webhook) writeReview(rw http.ResponseWriter, code int, resp *admissionv1.AdmissionResponse) error {
	out := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: reviewGV.String(), Kind: "AdmissionReview"}, Response: resp}
	buf := getBuffer(&w.answers)
	defer w.putBuffer(&w.answers, buf)
	if err := json.NewEncoder(buf).Encode(&out); err != nil {
		return err
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}) // Encode ends the value with a newline; Marshal does not
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Content-Length", strconv.Itoa(len(data)))
	rw.WriteHeader(code)
	_, err := rw.Write(data)
	return err
}
