package event_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

// The oracle: encoding/json decoding into a struct with the fields kubeward
// reads. The fuzz target checks that kubeward's decoder accepts exactly what
// encoding/json accepts, and decodes the same values.
type mUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra"`
}

type mRef struct {
	Resource        string `json:"resource"`
	Namespace       string `json:"namespace"`
	Name            string `json:"name"`
	UID             string `json:"uid"`
	APIGroup        string `json:"apiGroup"`
	APIVersion      string `json:"apiVersion"`
	ResourceVersion string `json:"resourceVersion"`
	Subresource     string `json:"subresource"`
}

type mStatus struct {
	Code    int32  `json:"code"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type mEvent struct {
	Level                    string            `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    string            `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     mUser             `json:"user"`
	ImpersonatedUser         *mUser            `json:"impersonatedUser"`
	SourceIPs                []string          `json:"sourceIPs"`
	UserAgent                string            `json:"userAgent"`
	ObjectRef                *mRef             `json:"objectRef"`
	ResponseStatus           *mStatus          `json:"responseStatus"`
	RequestObject            json.RawMessage   `json:"requestObject"`
	ResponseObject           json.RawMessage   `json:"responseObject"`
	RequestReceivedTimestamp *string           `json:"requestReceivedTimestamp"`
	StageTimestamp           *string           `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations"`
}

type mDoc struct {
	mEvent
	Kind       string   `json:"kind"`
	APIVersion string   `json:"apiVersion"`
	Items      []mEvent `json:"items"`
}

var knownKeys = []string{"kind", "apiVersion", "items", "level", "auditID", "stage", "requestURI", "verb", "user",
	"impersonatedUser", "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
	"requestReceivedTimestamp", "stageTimestamp", "annotations", "username", "uid", "groups", "extra", "resource",
	"namespace", "name", "apiGroup", "resourceVersion", "subresource", "code", "status", "reason", "message"}

// ambiguous reports documents where encoding/json's documented quirks
// (case-insensitive field names, merging duplicate keys into existing
// values) would make the oracle differ from a plain reading.
func ambiguous(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj     bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				for _, known := range knownKeys {
					if k != known && strings.EqualFold(k, known) {
						return true
					}
				}
				top.wantKey = false
				continue
			}
		}
		if top != nil && top.obj {
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].obj {
				stack[len(stack)-1].wantKey = true
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	pod := `{"kind":"Pod","spec":{"containers":[{"image":"x","securityContext":{"privileged":true}}]}}`
	a := audittest.New("alice", "create").On("", "pods", "dev", "p").Req(pod).As("bob", "g")
	b := audittest.New("system:serviceaccount:kube-system:x", "list").On("apps", "deployments", "", "").Code(403)
	for _, seed := range [][]byte{a.JSON(), b.JSON(), audittest.List(a, b), []byte(`{"items":null}`),
		[]byte(`{"auditID":"x","verb":"\ud83d\ude00","user":{"extra":{"k":["v",null]}},"annotations":{"a":null}}`),
		[]byte(`{"auditID":"x","responseStatus":{"code":-0},"stageTimestamp":"2026-01-01T00:00:00Z"}`),
		[]byte(`{"auditID":"x","impersonatedUser":null,"objectRef":null,"sourceIPs":null,"requestObject":null}`),
		[]byte(`{"items":[{"auditID":"a"},{"verb":"get"}]}`), []byte(`{"verb":"get"}`)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := event.NewDecoder(event.Limits{MaxDepth: 10000})
		d.KeepSensitiveBodies = true
		got, err := d.Decode(data)
		if ambiguous(data) {
			return
		}
		var want mDoc
		var keys map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if t := bytes.TrimLeft(data, " \t\r\n"); werr == nil && (len(t) == 0 || t[0] != '{') {
			werr = errOther // a document is an object; encoding/json also takes null
		}
		if werr == nil {
			werr = json.Unmarshal(data, &keys)
		}
		if werr == nil {
			werr = timesValid(&want.mEvent)
			for i := range want.Items {
				if werr == nil {
					werr = timesValid(&want.Items[i])
				}
			}
		}
		if werr == nil && want.APIVersion != "" && !strings.HasPrefix(want.APIVersion, "audit.k8s.io/") {
			werr = errOther
		}
		if _, gke := keys["protoPayload"]; gke && werr == nil && want.Kind == "" && want.APIVersion == "" {
			return // a Cloud Logging entry: FuzzDecodeGKE's
		}
		_, hasItems := keys["items"]
		// A document is an audit event only if it says so: its kind, or
		// the auditID of the event (of every item of a kind-less list).
		list := want.Kind == "EventList" || (want.Kind == "" && hasItems && len(want.Items) > 0)
		switch {
		case werr != nil:
		case list:
			for i := range want.Items {
				if want.Kind == "" && want.Items[i].AuditID == "" {
					werr = errOther
				}
			}
		case want.Kind == "Event":
		case want.Kind == "" && want.AuditID != "":
		default:
			werr = errOther
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("decoder error %v, oracle error %v", err, werr)
		}
		if err != nil {
			return
		}
		wantEvents := []mEvent{want.mEvent}
		if list {
			wantEvents = want.Items
		}
		if len(got) != len(wantEvents) {
			t.Fatalf("got %d events, want %d", len(got), len(wantEvents))
		}
		for i := range got {
			compare(t, got[i], &wantEvents[i])
		}
	})
}

type oracleErr string

func (e oracleErr) Error() string { return string(e) }

const errOther = oracleErr("rejected")

func timesValid(e *mEvent) error {
	for _, s := range []*string{e.RequestReceivedTimestamp, e.StageTimestamp} {
		if s != nil {
			if _, err := time.Parse(time.RFC3339Nano, *s); err != nil {
				return err
			}
		}
	}
	return nil
}

func compare(t *testing.T, g *event.Event, w *mEvent) {
	t.Helper()
	eq := func(name string, a, b any) {
		t.Helper()
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Fatalf("%s: got %s, want %s", name, ja, jb)
		}
	}
	eq("strings", []string{g.Level, g.AuditID, g.Stage, g.RequestURI, g.Verb, g.UserAgent},
		[]string{w.Level, w.AuditID, w.Stage, w.RequestURI, w.Verb, w.UserAgent})
	eq("user", user(&g.User), w.User)
	if (g.ImpersonatedUser == nil) != (w.ImpersonatedUser == nil) {
		t.Fatalf("impersonatedUser presence differs")
	}
	if g.ImpersonatedUser != nil {
		eq("impersonatedUser", user(g.ImpersonatedUser), *w.ImpersonatedUser)
	}
	eq("sourceIPs", nilIfEmpty(g.SourceIPs), nilIfEmpty(w.SourceIPs))
	if (g.ObjectRef == nil) != (w.ObjectRef == nil) {
		t.Fatalf("objectRef presence differs")
	}
	if g.ObjectRef != nil {
		eq("objectRef", mRef(*g.ObjectRef), *w.ObjectRef)
	}
	if (g.ResponseStatus == nil) != (w.ResponseStatus == nil) {
		t.Fatalf("responseStatus presence differs")
	}
	if g.ResponseStatus != nil {
		eq("responseStatus", mStatus(*g.ResponseStatus), *w.ResponseStatus)
	}
	eq("requestObject", string(g.RequestObject), rawOrEmpty(w.RequestObject))
	eq("responseObject", string(g.ResponseObject), rawOrEmpty(w.ResponseObject))
	eq("requestReceivedTimestamp", g.RequestReceivedTimestamp, parsed(w.RequestReceivedTimestamp))
	eq("stageTimestamp", g.StageTimestamp, parsed(w.StageTimestamp))
	if len(g.Annotations) != len(w.Annotations) || (len(w.Annotations) > 0 && !maps.Equal(g.Annotations, w.Annotations)) {
		t.Fatalf("annotations: got %v, want %v", g.Annotations, w.Annotations)
	}
}

func user(u *event.UserInfo) mUser {
	return mUser{Username: u.Username, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func rawOrEmpty(r json.RawMessage) string {
	if string(r) == "null" {
		return ""
	}
	return string(r)
}

func parsed(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, *s)
	return t
}
