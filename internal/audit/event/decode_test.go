package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

func decodeOne(t *testing.T, doc string) *event.Event {
	t.Helper()
	evs, err := event.NewDecoder(event.Limits{}).Decode([]byte(doc))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(evs) != 1 {
		t.Fatalf("got %d events, want 1", len(evs))
	}
	return evs[0].Clone()
}

func TestDecodeAPIServerEvent(t *testing.T) {
	pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}`
	src := audittest.New("alice", "create").On("", "pods", "dev", "p").Req(pod).As("bob", "devs")
	src.StageTimestamp.Time = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)
	e := decodeOne(t, string(src.JSON()))

	checks := []struct{ name, got, want string }{
		{"level", e.Level, "Request"},
		{"stage", e.Stage, "ResponseComplete"},
		{"verb", e.Verb, "create"},
		{"auditID", e.AuditID, string(src.AuditID)},
		{"uri", e.RequestURI, "/api/v1/namespaces/dev/pods/p"},
		{"user", e.User.Username, "alice"},
		{"impersonated", e.ImpersonatedUser.Username, "bob"},
		{"resource", e.Resource(), "pods"},
		{"namespace", e.Namespace(), "dev"},
		{"name", e.Name(), "p"},
		{"decision", e.Decision(), "allow"},
		{"body", string(e.RequestObject), pod},
		{"agent", e.UserAgent, src.UserAgent},
		{"stageTimestamp", e.StageTimestamp.Format(time.RFC3339Nano), "2026-03-01T12:00:00.123456Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if e.Code() != 201 || !e.Succeeded() || !e.Allowed() {
		t.Errorf("code %d succeeded %v allowed %v", e.Code(), e.Succeeded(), e.Allowed())
	}
	if got := strings.Join(e.ImpersonatedUser.Groups, ","); got != "devs" {
		t.Errorf("impersonated groups = %q", got)
	}
}

func TestDecodeEventList(t *testing.T) {
	a := audittest.New("a", "get").On("", "pods", "ns", "x")
	b := audittest.New("b", "list").On("apps", "deployments", "", "")
	evs, err := event.NewDecoder(event.Limits{}).Decode(audittest.List(a, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].User.Username != "a" || evs[1].User.Username != "b" || evs[1].APIGroup() != "apps" {
		t.Fatalf("unexpected events %+v", evs)
	}
	// items before kind, and an empty list
	evs, err = event.NewDecoder(event.Limits{}).Decode([]byte(`{"items":[],"kind":"EventList"}`))
	if err != nil || len(evs) != 0 {
		t.Fatalf("empty list: %v %d", err, len(evs))
	}
}

func TestDecodeDropsSensitiveBodies(t *testing.T) {
	secret := `{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}`
	for _, res := range []string{"secrets", "serviceaccounts/token"} {
		src := audittest.New("a", "create").On("", res, "ns", "s").Req(secret).Resp(secret)
		e := decodeOne(t, string(src.JSON()))
		if e.RequestObject != nil || e.ResponseObject != nil {
			t.Errorf("%s: body kept", res)
		}
		d := event.NewDecoder(event.Limits{})
		d.KeepSensitiveBodies = true
		evs, err := d.Decode(src.JSON())
		if err != nil || evs[0].RequestObject == nil {
			t.Errorf("%s: KeepSensitiveBodies did not keep the body: %v", res, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
	cases := []struct {
		name, doc string
		truncated bool
	}{
		{"empty", ``, true},
		{"not object", `[1]`, false},
		{"truncated", `{"verb":"get"`, true},
		{"truncated string", `{"verb":"ge`, true},
		{"trailing comma", `{"verb":"get",}`, false},
		{"trailing data", `{"verb":"get"} x`, false},
		{"bad type", `{"verb":1}`, false},
		{"bad code", `{"responseStatus":{"code":2.5}}`, false},
		{"code overflow", `{"responseStatus":{"code":99999999999}}`, false},
		{"bad time", `{"stageTimestamp":"yesterday"}`, false},
		{"bad escape", `{"verb":"\x"}`, false},
		{"control char", "{\"verb\":\"a\x01\"}", false},
		{"deep body", `{"requestObject":` + deep + `}`, false},
		{"other kind", `{"kind":"Pod"}`, false},
		{"no kind, no auditID", `{"verb":"get","user":{"username":"a"}}`, false},
		{"kind-less list item without auditID", `{"items":[{"auditID":"a"},{"verb":"get"}]}`, false},
		{"kind-less empty list", `{"items":[]}`, false},
		{"an application's log line", `{"level":"info","msg":"started","ts":1700000000}`, false},
		{"other group", `{"kind":"Event","apiVersion":"v1"}`, false},
		{"bad literal", `{"requestObject":nul}`, false},
		{"bad number", `{"requestObject":01}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := event.NewDecoder(event.Limits{}).Decode([]byte(c.doc))
			if err == nil {
				t.Fatal("no error")
			}
			if got := event.IsTruncated(err); got != c.truncated {
				t.Errorf("IsTruncated = %v, want %v (%v)", got, c.truncated, err)
			}
		})
	}
}

func TestDecodeErrorDoesNotEchoInput(t *testing.T) {
	doc := `{"requestObject":{"data":{"password":"hunter2"}}, "verb": hunter2}`
	_, err := event.NewDecoder(event.Limits{}).Decode([]byte(doc))
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "unter") {
		t.Fatalf("error %v", err)
	}
}

func TestDecodeStrings(t *testing.T) {
	// escapes, surrogate pairs, lone surrogates and invalid UTF-8 decode as
	// encoding/json decodes them
	for _, in := range []string{`"a\"b\\c\/\b\f\n\r\t"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, `"\udc00\ud800"`, "\"\xff\xfe ok\"", `"été"`} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		e := decodeOne(t, `{"auditID":"x","verb":`+in+`}`)
		if e.Verb != want {
			t.Errorf("%q: got %q, want %q", in, e.Verb, want)
		}
	}
}
