package detect

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func TestForbiddenBurst(t *testing.T) {
	denied := func(n int, gap time.Duration, user string) []*audittest.E {
		var out []*audittest.E
		for i := range n {
			out = append(out, ev(user, "list").On("", []string{"secrets", "pods", "nodes"}[i%3], "", "").Code(403).At(time.Duration(i)*gap))
		}
		return out
	}
	small := func(o *Options) { o.ForbiddenBurst = BurstOptions{Threshold: 5, Window: 10 * time.Second} }
	runRule(t, "forbidden-burst", []ruleCase{
		{name: "five denials in five seconds", events: denied(5, time.Second, "mallory"), opts: small, fire: []int{4},
			detail: [2]string{"sample", "list secrets; list pods; list nodes"}},
		{name: "spread out", events: denied(5, 5*time.Second, "mallory"), opts: small},
		{name: "sustained burst fires once per threshold", events: denied(12, time.Second, "mallory"), opts: small, fire: []int{4, 9}},
		{name: "different identities do not add up", events: append(denied(3, time.Second, "a"), denied(3, time.Second, "b")...), opts: small},
		{name: "admission rejections are not denials", events: func() []*audittest.E {
			var out []*audittest.E
			for i := range 6 {
				out = append(out, admissionRejected(ev("dev", "create").On("", "pods", "dev", "p")).At(time.Duration(i)*time.Second))
			}
			return out
		}(), opts: small},
	})
}

func TestAuthFailureBurst(t *testing.T) {
	fail := func(n int, ip string) []*audittest.E {
		var out []*audittest.E
		for i := range n {
			e := ev("", "get").URI("/api/v1/secrets").Code(401).Stage(auditv1.StageResponseStarted).At(time.Duration(i) * 100 * time.Millisecond)
			e.User.Groups = nil
			e.SourceIPs = []string{ip}
			e.ResponseStatus.Message = "bearer"
			out = append(out, e)
		}
		return out
	}
	small := func(o *Options) { o.AuthFailureBurst = BurstOptions{Threshold: 4, Window: time.Minute} }
	runRule(t, "auth-failure-burst", []ruleCase{
		{name: "guessing tokens", events: fail(4, "203.0.113.9"), opts: small, fire: []int{3}, detail: [2]string{"methods", "bearer"}},
		{name: "two sources", events: append(fail(2, "203.0.113.9"), fail(2, "203.0.113.10")...), opts: small},
	})
}

func TestNovelAction(t *testing.T) {
	learn := func(o *Options) { o.Baseline = BaselineOptions{Learn: time.Hour, MaxActions: 100} }
	at := func(e *audittest.E, d time.Duration) *audittest.E { return e.At(d) }
	runRule(t, "novel-action", []ruleCase{
		{name: "new action after learning", opts: learn, fire: []int{3}, detail: [2]string{"action", "get secrets"},
			events: []*audittest.E{
				at(ev(ciSA, "get").On("", "configmaps", "ci", "c"), 0),
				at(ev(ciSA, "create").On("apps", "deployments", "prod", "d"), time.Minute),
				at(ev(ciSA, "get").On("", "configmaps", "ci", "c"), 2*time.Hour),
				at(ev(ciSA, "get").On("", "secrets", "prod", "db"), 2*time.Hour),
				at(ev(ciSA, "get").On("", "secrets", "prod", "db2"), 3*time.Hour), // now known
			}},
		{name: "new during learning is learned", opts: learn, events: []*audittest.E{
			at(ev(ciSA, "get").On("", "configmaps", "ci", "c"), 0),
			at(ev(ciSA, "list").On("", "secrets", "ci", ""), 30*time.Minute),
			at(ev(ciSA, "list").On("", "secrets", "ci", ""), 2*time.Hour),
		}},
		{name: "subresource and non-resource actions are distinct", opts: learn, fire: []int{2, 3}, events: []*audittest.E{
			at(ev(alice, "get").On("", "pods", "dev", "p"), 0),
			at(ev(alice, "get").URI("/metrics"), 0),
			at(ev(alice, "create").On("", "pods/exec", "dev", "p"), 2*time.Hour),
			at(ev(alice, "get").URI("/debug/pprof/heap"), 2*time.Hour),
			at(ev(alice, "get").URI("/metrics?x=1"), 2*time.Hour),
		}},
		{name: "denied requests are not actions", opts: learn, events: []*audittest.E{
			at(ev(alice, "get").On("", "pods", "dev", "p"), 0),
			at(ev(alice, "get").On("", "secrets", "dev", "p").Code(403), 2*time.Hour),
		}},
		{name: "ignored identity", opts: func(o *Options) { learn(o); o.Baseline.Ignore = Patterns{"system:serviceaccount:ci:*"} }, events: []*audittest.E{
			at(ev(ciSA, "get").On("", "pods", "dev", "p"), 0),
			at(ev(ciSA, "get").On("", "secrets", "dev", "p"), 2*time.Hour),
		}},
	})
}

func TestNovelActionStateSurvivesRestart(t *testing.T) {
	o := DefaultOptions()
	o.Baseline.Learn = time.Hour
	e1, _ := NewEngine(o)
	e1.Process(decodeEvent(t, ev(ciSA, "get").On("", "configmaps", "ci", "c").At(0)), nil)
	e1.Process(decodeEvent(t, ev(ciSA, "get").URI("/version").At(time.Minute)), nil)
	var state bytes.Buffer
	if err := e1.SaveState(&state); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(state.String(), "hunter2") || !strings.Contains(state.String(), "get configmaps") {
		t.Fatalf("state: %s", state.String())
	}
	e2, _ := NewEngine(o)
	if err := e2.LoadState(bytes.NewReader(state.Bytes())); err != nil {
		t.Fatal(err)
	}
	novel := func(e *Engine, b *audittest.E) int {
		n := 0
		for _, a := range e.Process(decodeEvent(t, b), nil) {
			if a.Rule == "novel-action" {
				n++
			}
		}
		return n
	}
	if n := novel(e2, ev(ciSA, "get").On("", "configmaps", "ci", "c").At(2*time.Hour)); n != 0 {
		t.Errorf("known action alerted after restart")
	}
	if n := novel(e2, ev(ciSA, "get").URI("/version").At(2*time.Hour)); n != 0 {
		t.Errorf("known non-resource action alerted after restart")
	}
	if n := novel(e2, ev(ciSA, "delete").On("apps", "deployments", "ci", "d").At(2*time.Hour)); n != 1 {
		t.Errorf("new action after restart: %d alerts, want 1", n)
	}
	if err := e2.LoadState(strings.NewReader(`{"version":99}`)); err == nil {
		t.Error("wrong state version accepted")
	}
}

func TestBoundedState(t *testing.T) {
	o := DefaultOptions()
	o.MaxTracked = 50
	o.Baseline.MaxActions = 3
	e, _ := NewEngine(o)
	for i := range 1000 {
		e.Process(decodeEvent(t, ev(fmt.Sprintf("user-%d", i), "get").On("", fmt.Sprintf("r%d", i%7), "ns", "x").Code(403)), nil)
		e.Process(decodeEvent(t, ev("one", "get").On("", fmt.Sprintf("r%d", i), "ns", "x")), nil)
		e.Process(decodeEvent(t, ev("one", "watch").On("", "pods", "ns", "").Stage(auditv1.StageResponseStarted)), nil)
		// Any authenticated identity may GET /apis/*: paths are as long
		// as the client makes them.
		e.Process(decodeEvent(t, ev("two", "get").URI(fmt.Sprintf("/apis/%d/%s", i, strings.Repeat("é", 4000)))), nil)
	}
	if n := len(e.started.m); n > 50 {
		t.Errorf("engine tracks %d started requests", n)
	}
	for i := range e.rules {
		switch m := e.rules[i].machine.(type) {
		case *baseline:
			if m.ids.len() > 50 {
				t.Errorf("baseline tracks %d identities", m.ids.len())
			}
			if ib, ok := m.ids.get("one"); ok && len(ib.actions) > 3 {
				t.Errorf("identity has %d actions", len(ib.actions))
			}
			paths := 0
			for _, ib := range m.ids.m {
				for a := range ib.actions {
					if !strings.HasPrefix(a.resource, "/apis/") {
						continue
					}
					paths++
					if len(a.resource) > maxKeptPath+len("…") || !utf8.ValidString(a.resource) {
						t.Errorf("baseline keeps a path of %d bytes (valid UTF-8: %v)", len(a.resource), utf8.ValidString(a.resource))
					}
				}
			}
			if paths == 0 {
				t.Error("no long path in the baselines: the check above proves nothing")
			}
		case *forbiddenMachine:
			if m.b.keys.len() > 50 {
				t.Errorf("burst tracks %d identities", m.b.keys.len())
			}
		}
	}
}
