package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/check"
)

// ruleCase feeds events to an engine running one rule and says which of
// them must fire (by index), and optionally the severity and a detail of
// the last alert.
type ruleCase struct {
	name   string
	events []*audittest.E
	opts   func(*Options)
	fire   []int
	sev    check.Severity // of the last alert, if set
	detail [2]string      // key and substring of the last alert's details or message ("" key)
}

// decodeEvent turns a built event into what the engine reads, through the
// real decoder.
func decodeEvent(t testing.TB, e *audittest.E) *event.Event {
	t.Helper()
	evs, err := event.NewDecoder(event.Limits{}).Decode(e.JSON())
	if err != nil || len(evs) != 1 {
		t.Fatalf("decoding test event: %v", err)
	}
	return evs[0].Clone()
}

func runRule(t *testing.T, id string, cases []ruleCase) {
	t.Helper()
	if _, ok := Lookup(id); !ok {
		t.Fatalf("no rule %s", id)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := DefaultOptions()
			for _, r := range Rules() {
				if r.ID != id {
					o.Disabled = append(o.Disabled, r.ID)
				}
			}
			if c.opts != nil {
				c.opts(&o)
			}
			e, err := NewEngine(o)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(e.Enabled(), id) {
				t.Fatalf("rule %s not enabled with these options", id)
			}
			var fired []int
			var last *Alert
			for i, b := range c.events {
				alerts := e.Process(decodeEvent(t, b), nil)
				for j := range alerts {
					if alerts[j].Rule != id {
						t.Fatalf("alert from rule %s", alerts[j].Rule)
					}
					fired = append(fired, i)
					last = &alerts[j]
				}
			}
			if fmt.Sprint(fired) != fmt.Sprint(c.fire) && !(len(fired) == 0 && len(c.fire) == 0) {
				t.Fatalf("fired on events %v, want %v", fired, c.fire)
			}
			if last == nil {
				return
			}
			if c.sev != check.SeverityUnknown && last.Severity != c.sev {
				t.Errorf("severity %v, want %v", last.Severity, c.sev)
			}
			if k, want := c.detail[0], c.detail[1]; want != "" {
				got := last.Message
				if k != "" {
					got = last.Details[k]
				}
				if !strings.Contains(got, want) {
					t.Errorf("%q = %q, want it to contain %q", k, got, want)
				}
			}
			for _, f := range []string{last.Rule, last.Title, last.Message, last.Fix} {
				if f == "" {
					t.Errorf("alert has empty fields: %+v", last)
				}
			}
		})
	}
}

// Shorthands for test events.
func ev(user, verb string) *audittest.E { return audittest.New(user, verb) }

const (
	alice    = "alice"
	ciSA     = "system:serviceaccount:ci:deployer"
	rsCtrl   = "system:serviceaccount:kube-system:replicaset-controller"
	nodeUser = "system:node:worker-1"
)

func node() *audittest.E { return ev(nodeUser, "get").Groups("system:nodes", "system:authenticated") }

func pod(spec string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"dev"},"spec":` + spec + `}`
}

const plainSpec = `{"containers":[{"name":"app","image":"registry.example.com/app:1"}]}`
