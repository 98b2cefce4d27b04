// Package respond acts on alerts: it quarantines the pod an alert names by
// labelling it and applying a deny-all NetworkPolicy that selects the
// label. It is opt-in, and dry-run by default: a dry run asks the API
// server to validate each step (dryRun=All: authorization and admission
// run, nothing is stored) and logs what it would have done. Every action,
// real or not, is logged as a JSON line.
package respond

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/prometheus/client_golang/prometheus"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// Defaults.
const (
	DefaultLabel      = "kubeward.dev/quarantine"
	DefaultPolicyName = "kubeward-quarantine"
	reasonAnnotation  = "kubeward.dev/quarantine-reason"
)

// Options configure quarantine.
type Options struct {
	// Rules whose alerts quarantine the pod they name.
	Rules []string
	// DryRun validates and logs without changing anything.
	DryRun bool
	// ExcludeNamespaces are never touched (default: kube-system,
	// kube-public, kube-node-lease: quarantining the control plane's
	// add-ons would take the cluster down).
	ExcludeNamespaces []string
	Label             string
	PolicyName        string
	// Timeout bounds each action (default 10s); QueueSize the alerts
	// waiting (default 256; past it alerts are logged as skipped).
	Timeout   time.Duration
	QueueSize int
	// Cooldown skips a pod quarantined less than this long ago (default
	// 10m): duplicate alerts do not repeat the action.
	Cooldown time.Duration
	// Log receives one JSON line per action.
	Log    io.Writer
	Logger *slog.Logger
}

// DefaultExcludeNamespaces are the namespaces left alone by default.
func DefaultExcludeNamespaces() []string {
	return []string{"kube-system", "kube-public", "kube-node-lease"}
}

// Action is the record of one response.
type Action struct {
	Time      time.Time `json:"time"`
	Action    string    `json:"action"`
	Rule      string    `json:"rule"`
	AuditID   string    `json:"auditID,omitempty"`
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	DryRun    bool      `json:"dryRun"`
	// Result is done, dry-run, failed or skipped.
	Result string `json:"result"`
	Steps  []Step `json:"steps,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Step is one API call of an action.
type Step struct {
	What   string `json:"what"`
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// Quarantiner carries out quarantines from a queue, one at a time.
type Quarantiner struct {
	cs      kubernetes.Interface
	o       Options
	q       chan detect.Alert
	done    chan struct{}
	mu      sync.Mutex // guards recent, log writes and closed
	recent  map[string]time.Time
	closed  bool
	actions *prometheus.CounterVec
}

// New starts a quarantiner. cs may be nil only for a dry run, which then
// cannot ask the API server and says so.
func New(cs kubernetes.Interface, o Options, reg prometheus.Registerer) (*Quarantiner, error) {
	if cs == nil && !o.DryRun {
		return nil, fmt.Errorf("quarantine: a cluster connection is required unless dry-run")
	}
	if o.Label == "" {
		o.Label = DefaultLabel
	}
	if o.PolicyName == "" {
		o.PolicyName = DefaultPolicyName
	}
	if o.ExcludeNamespaces == nil {
		o.ExcludeNamespaces = DefaultExcludeNamespaces()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.Cooldown <= 0 {
		o.Cooldown = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Quarantiner{cs: cs, o: o, q: make(chan detect.Alert, o.QueueSize), done: make(chan struct{}), recent: map[string]time.Time{},
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeward", Subsystem: "audit", Name: "response_actions_total",
			Help: "Response actions by action and result (done, dry-run, failed, skipped).",
		}, []string{"action", "result"})}
	if reg != nil {
		if err := reg.Register(q.actions); err != nil {
			return nil, err
		}
	}
	go q.run()
	return q, nil
}

// Consume queues the alerts whose rule quarantines; it never blocks.
func (q *Quarantiner) Consume(alerts []detect.Alert) {
	for _, a := range alerts {
		if !slices.Contains(q.o.Rules, a.Rule) {
			continue
		}
		q.mu.Lock()
		closed := q.closed
		if !closed {
			select {
			case q.q <- a:
			default:
				q.mu.Unlock()
				q.record(q.action(a, "skipped", "response queue full"))
				continue
			}
		}
		q.mu.Unlock()
	}
}

// Close finishes the queued actions within ctx.
func (q *Quarantiner) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.q)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("quarantine: closed with actions pending: %w", ctx.Err())
	}
}

func (q *Quarantiner) run() {
	defer close(q.done)
	for a := range q.q {
		q.record(q.quarantine(a))
	}
}

func (q *Quarantiner) action(a detect.Alert, result, reason string) Action {
	act := Action{Time: time.Now().UTC(), Action: "quarantine", Rule: a.Rule, AuditID: a.AuditID, DryRun: q.o.DryRun, Result: result, Reason: reason}
	if a.Object != nil {
		act.Namespace, act.Pod = a.Object.Namespace, a.Object.Name
	}
	return act
}

// target returns the pod an alert names, or why there is none.
func (q *Quarantiner) target(a detect.Alert) (ns, pod, why string) {
	o := a.Object
	switch {
	case o == nil || o.Resource != "pods" || o.APIGroup != "":
		return "", "", "the alert does not name a pod"
	case o.Name == "" || o.Name[len(o.Name)-1] == '*':
		return "", "", "the pod's name is not known (generated; log pod creations at RequestResponse level)"
	case slices.Contains(q.o.ExcludeNamespaces, o.Namespace):
		return "", "", "namespace " + o.Namespace + " is excluded from quarantine"
	}
	return o.Namespace, o.Name, ""
}

func (q *Quarantiner) quarantine(a detect.Alert) Action {
	ns, pod, why := q.target(a)
	if why != "" {
		return q.action(a, "skipped", why)
	}
	key := ns + "/" + pod
	q.mu.Lock()
	if t, ok := q.recent[key]; ok && time.Since(t) < q.o.Cooldown {
		q.mu.Unlock()
		return q.action(a, "skipped", "quarantined "+time.Since(t).Round(time.Second).String()+" ago")
	}
	q.mu.Unlock()
	act := q.action(a, "done", "")
	if q.o.DryRun {
		act.Result = "dry-run"
	}
	if q.cs == nil {
		act.Reason = "no cluster connection: nothing validated"
		act.Steps = []Step{{What: "networkpolicy " + ns + "/" + q.o.PolicyName, Result: "would apply"}, {What: "label pod " + key, Result: "would label"}}
		return act
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.o.Timeout)
	defer cancel()
	// The policy first: the moment the label lands, the pod is isolated.
	for _, step := range []func(context.Context, string, string, detect.Alert) Step{q.ensurePolicy, q.labelPod} {
		s := step(ctx, ns, pod, a)
		act.Steps = append(act.Steps, s)
		if s.Error != "" {
			act.Result = "failed"
			return act
		}
	}
	if !q.o.DryRun {
		q.mu.Lock()
		q.recent[key] = time.Now()
		if len(q.recent) > 10_000 {
			for k, t := range q.recent {
				if time.Since(t) >= q.o.Cooldown {
					delete(q.recent, k)
				}
			}
		}
		q.mu.Unlock()
	}
	return act
}

func (q *Quarantiner) dryRun() []string {
	if q.o.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// policy is the deny-all NetworkPolicy for the label: both directions
// isolated, no rule allowing anything.
func (q *Quarantiner) policy(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: q.o.PolicyName, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeward"}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{q.o.Label: "true"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

func (q *Quarantiner) ensurePolicy(ctx context.Context, ns, _ string, _ detect.Alert) Step {
	want := q.policy(ns)
	s := Step{What: "networkpolicy " + ns + "/" + q.o.PolicyName}
	api := q.cs.NetworkingV1().NetworkPolicies(ns)
	_, err := api.Create(ctx, want, metav1.CreateOptions{DryRun: q.dryRun(), FieldManager: "kubeward"})
	switch {
	case err == nil:
		s.Result = "created"
	case apierrors.IsAlreadyExists(err):
		cur, gerr := api.Get(ctx, q.o.PolicyName, metav1.GetOptions{})
		if gerr != nil {
			s.Result, s.Error = "failed", gerr.Error()
			return s
		}
		if apiequality.Semantic.DeepEqual(cur.Spec, want.Spec) {
			s.Result = "present"
			return s
		}
		// Someone changed it: deny-all is the only content it may have.
		cur.Spec = want.Spec
		if _, err := api.Update(ctx, cur, metav1.UpdateOptions{DryRun: q.dryRun(), FieldManager: "kubeward"}); err != nil {
			s.Result, s.Error = "failed", err.Error()
			return s
		}
		s.Result = "restored to deny-all"
	default:
		s.Result, s.Error = "failed", err.Error()
	}
	return s
}

func (q *Quarantiner) labelPod(ctx context.Context, ns, pod string, a detect.Alert) Step {
	s := Step{What: "label pod " + ns + "/" + pod + " " + q.o.Label + "=true"}
	reason := fmt.Sprintf("%s alert at %s (audit ID %s)", a.Rule, a.Time.UTC().Format(time.RFC3339), a.AuditID)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"labels":      map[string]string{q.o.Label: "true"},
		"annotations": map[string]string{reasonAnnotation: reason},
	}})
	if err != nil {
		s.Result, s.Error = "failed", err.Error()
		return s
	}
	if _, err := q.cs.CoreV1().Pods(ns).Patch(ctx, pod, types.MergePatchType, patch, metav1.PatchOptions{DryRun: q.dryRun(), FieldManager: "kubeward"}); err != nil {
		s.Result, s.Error = "failed", err.Error()
		return s
	}
	s.Result = "labelled"
	return s
}

// record logs an action: a JSON line, a log record and a counter.
func (q *Quarantiner) record(act Action) {
	q.actions.WithLabelValues(act.Action, act.Result).Inc()
	level := slog.LevelInfo
	if act.Result == "failed" {
		level = slog.LevelError
	}
	q.o.Logger.Log(context.Background(), level, "response action", "action", act.Action, "result", act.Result, "dryRun", act.DryRun,
		"namespace", act.Namespace, "pod", act.Pod, "rule", act.Rule, "reason", act.Reason)
	if q.o.Log == nil {
		return
	}
	b, err := json.Marshal(act)
	if err != nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, err := q.o.Log.Write(append(b, '\n')); err != nil {
		q.o.Logger.Error("writing the response action log", "err", err)
	}
}
