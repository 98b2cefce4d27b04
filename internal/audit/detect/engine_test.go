package detect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/check"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if err := r.validate(); err != nil {
			t.Error(err)
		}
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		for _, m := range r.MITRE {
			if !strings.HasPrefix(m.ID, "T1") || m.Name == "" || !strings.HasPrefix(m.URL(), "https://attack.mitre.org/techniques/T") {
				t.Errorf("rule %s: technique %+v", r.ID, m)
			}
		}
	}
	// Falco's k8s_audit_rules.yaml detections and the stateful additions
	// the project asks for all have a rule.
	for _, id := range []string{"pod-exec", "pod-port-forward", "ephemeral-container", "privileged-pod", "host-network-pod",
		"host-pid-pod", "host-ipc-pod", "sensitive-mount-pod", "pod-in-kube-namespace", "serviceaccount-in-kube-namespace",
		"cluster-admin-binding", "role-wildcard", "role-write-verbs", "role-exec-rights", "system-role-modified",
		"anonymous-allowed", "secret-read", "configmap-credentials", "nodeport-service", "ingress-without-tls",
		"untrusted-node", "disallowed-user", "disallowed-image", "disallowed-namespace", "novel-action", "forbidden-burst",
		"impersonation", "token-request-other-sa", "csr-approval", "admission-webhook-change", "events-deleted"} {
		if !seen[id] {
			t.Errorf("missing rule %s", id)
		}
	}
	if _, ok := Lookup("pod-exec"); !ok {
		t.Error("Lookup")
	}
}

func TestEngineStages(t *testing.T) {
	e, err := NewEngine(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	get := ev(alice, "get").On("", "secrets", "dev", "s")
	received := *get
	received.Event.Stage = auditv1.StageRequestReceived
	if n := len(e.Process(decodeEvent(t, &received), nil)); n != 0 {
		t.Errorf("RequestReceived judged: %d alerts", n)
	}
	if n := len(e.Process(decodeEvent(t, get), nil)); n != 1 {
		t.Errorf("ResponseComplete: %d alerts, want 1", n)
	}
	s := e.Stats()
	if s.Events != 2 || s.Evaluated != 1 {
		t.Errorf("stats %+v", s)
	}
}

// Clients choose audit IDs (the API server keeps an Audit-ID request header
// as sent): a watch held open with the ID of a later request must not hide
// that request from the rules, while the stages of one streaming request
// are still judged once.
func TestEngineStagesPairedBeyondAuditID(t *testing.T) {
	e, err := NewEngine(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	watch := ev(alice, "watch").On("", "configmaps", "dev", "").Stage(auditv1.StageResponseStarted)
	watch.AuditID = "chosen-by-the-client"
	crb := ev(alice, "create").On("rbac.authorization.k8s.io", "clusterrolebindings", "", "b").At(time.Second).
		Req(`{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"m"}]}`)
	crb.AuditID = watch.AuditID
	e.Process(decodeEvent(t, watch), nil)
	var rules []string
	for _, a := range e.Process(decodeEvent(t, crb), nil) {
		rules = append(rules, a.Rule)
	}
	if !slices.Contains(rules, "cluster-admin-binding") {
		t.Errorf("binding with a reused audit ID: alerts %v, want cluster-admin-binding", rules)
	}
	exec := ev(alice, "create").On("", "pods/exec", "dev", "p").Code(101).Stage(auditv1.StageResponseStarted)
	done := *exec
	done.Event.Stage = auditv1.StageResponseComplete
	if n := len(e.Process(decodeEvent(t, exec), nil)) + len(e.Process(decodeEvent(t, &done), nil)); n != 1 {
		t.Errorf("exec over two stages: %d alerts, want 1", n)
	}
}

func TestEngineOptions(t *testing.T) {
	o := DefaultOptions()
	o.Disabled = []string{"secret-read"}
	o.Severity = map[string]check.Severity{"pod-exec": check.Critical}
	e, err := NewEngine(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range e.Enabled() {
		if id == "secret-read" || id == "disallowed-user" {
			t.Errorf("%s enabled", id)
		}
	}
	alerts := e.Process(decodeEvent(t, ev(alice, "create").On("", "pods/exec", "dev", "p")), nil)
	if len(alerts) != 1 || alerts[0].Severity != check.Critical || alerts[0].Count != 1 || alerts[0].Object.String() != "pods/exec dev/p" {
		t.Errorf("alerts %+v", alerts)
	}
	for _, bad := range []func(*Options){
		func(o *Options) { o.Disabled = []string{"nope"} },
		func(o *Options) { o.Exceptions = []Exception{{Rule: "pod-exec", Users: Patterns{"x"}}} },
		func(o *Options) { o.Exceptions = []Exception{{Rule: "pod-exec", Reason: "all of it"}} },
		func(o *Options) { o.ForbiddenBurst.Threshold = 1 },
		func(o *Options) { o.Severity = map[string]check.Severity{"pod-exec": 0} },
		func(o *Options) { o.MaxTracked = 0 },
	} {
		o := DefaultOptions()
		bad(&o)
		if _, err := NewEngine(o); err == nil {
			t.Errorf("invalid options accepted: %+v", o)
		}
	}
}

func TestAlertsCarryNoCredentials(t *testing.T) {
	e, _ := NewEngine(DefaultOptions())
	b := ev(alice, "get").On("", "secrets", "dev", "").URI("/api/v1/namespaces/dev/secrets?access_token=sekrit-token-value")
	b2 := ev(alice, "create").On("", "pods/exec", "dev", "p").URI("/api/v1/namespaces/dev/pods/p/exec?command=mysql&command=--password&command=sekrit-token-value")
	for _, x := range []*audittest.E{b, b2} {
		alerts := e.Process(decodeEvent(t, x), nil)
		if len(alerts) == 0 {
			t.Fatalf("no alert for %s", x.RequestURI)
		}
		for _, a := range alerts {
			if containsValue(a, "sekrit") {
				t.Errorf("alert %s leaks: %+v", a.Rule, a)
			}
		}
	}
}
