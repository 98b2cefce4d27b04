// Package audittest builds audit events for tests and benchmarks with the
// API server's own types (k8s.io/apiserver/pkg/apis/audit/v1), so what the
// tests feed kubeward is what the API server writes.
package audittest

import (
	"encoding/json"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/uuid"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// T0 is the time of the first event a builder makes.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// E is an event under construction.
type E struct{ auditv1.Event }

// New returns a ResponseComplete Metadata-level event by user with the
// given verb, "allow" decision and code 200 (201 for create).
func New(user, verb string) *E {
	code := int32(200)
	if verb == "create" {
		code = 201
	}
	e := &E{auditv1.Event{
		TypeMeta:  metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
		Level:     auditv1.LevelMetadata,
		AuditID:   uuid.NewUUID(),
		Stage:     auditv1.StageResponseComplete,
		Verb:      verb,
		User:      authnv1.UserInfo{Username: user, Groups: []string{"system:authenticated"}},
		SourceIPs: []string{"10.0.0.1"},
		UserAgent: "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef",
		ResponseStatus: &metav1.Status{
			ListMeta: metav1.ListMeta{}, Code: code,
		},
		RequestReceivedTimestamp: metav1.NewMicroTime(T0),
		StageTimestamp:           metav1.NewMicroTime(T0.Add(3 * time.Millisecond)),
		Annotations: map[string]string{
			"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason":   "",
		},
	}}
	if sa := strings.HasPrefix(user, "system:serviceaccount:"); sa {
		ns := strings.Split(user, ":")[2]
		e.User.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	return e
}

// On sets the target: group/resource[/subresource], namespace and name, and
// a request URI to match.
func (e *E) On(group, resource, ns, name string) *E {
	res, sub, _ := strings.Cut(resource, "/")
	version := "v1"
	e.ObjectRef = &auditv1.ObjectReference{Resource: res, Subresource: sub, Namespace: ns, Name: name, APIGroup: group, APIVersion: version}
	p := "/api/v1"
	if group != "" {
		p = "/apis/" + group + "/" + version
	}
	if ns != "" {
		p += "/namespaces/" + ns
	}
	p += "/" + res
	if name != "" {
		p += "/" + name
	}
	if sub != "" {
		p += "/" + sub
	}
	e.RequestURI = p
	return e
}

// URI sets the request URI (for non-resource requests, or query strings).
func (e *E) URI(u string) *E { e.RequestURI = u; return e }

// Groups replaces the user's groups.
func (e *E) Groups(g ...string) *E { e.User.Groups = g; return e }

// Code sets the response code; 401 and 403 also set a "forbid" decision
// (401 removes it, as unauthenticated requests never reach the authorizer).
func (e *E) Code(c int32) *E {
	e.ResponseStatus.Code = c
	switch c {
	case 403:
		e.Annotations["authorization.k8s.io/decision"] = "forbid"
		e.ResponseStatus.Reason = metav1.StatusReasonForbidden
		e.ResponseStatus.Status = metav1.StatusFailure
	case 401:
		delete(e.Annotations, "authorization.k8s.io/decision")
		delete(e.Annotations, "authorization.k8s.io/reason")
		e.ResponseStatus.Reason = metav1.StatusReasonUnauthorized
		e.ResponseStatus.Status = metav1.StatusFailure
	}
	return e
}

// Stage sets the stage.
func (e *E) Stage(s auditv1.Stage) *E { e.Event.Stage = s; return e }

// At sets the timestamps to T0+d.
func (e *E) At(d time.Duration) *E {
	e.RequestReceivedTimestamp = metav1.NewMicroTime(T0.Add(d))
	e.StageTimestamp = metav1.NewMicroTime(T0.Add(d + time.Millisecond))
	return e
}

// As records impersonation of user (with groups).
func (e *E) As(user string, groups ...string) *E {
	e.ImpersonatedUser = &authnv1.UserInfo{Username: user, Groups: groups}
	return e
}

// Req sets the request object (level Request), from a Go value or raw JSON.
func (e *E) Req(obj any) *E {
	e.Level = auditv1.LevelRequest
	e.RequestObject = &runtime.Unknown{Raw: raw(obj), ContentType: runtime.ContentTypeJSON}
	return e
}

// Resp sets the response object (level RequestResponse).
func (e *E) Resp(obj any) *E {
	e.Level = auditv1.LevelRequestResponse
	e.ResponseObject = &runtime.Unknown{Raw: raw(obj), ContentType: runtime.ContentTypeJSON}
	return e
}

func raw(obj any) []byte {
	switch v := obj.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err) // test input built by the test itself
	}
	return b
}

// JSON returns the event as the API server's log backend writes it (one
// line, without the newline).
func (e *E) JSON() []byte {
	b, err := json.Marshal(&e.Event)
	if err != nil {
		panic(err)
	}
	return b
}

// Lines joins events as a JSON-lines log.
func Lines(es ...*E) []byte {
	var b []byte
	for _, e := range es {
		b = append(b, e.JSON()...)
		b = append(b, '\n')
	}
	return b
}

// List returns the events as one EventList, as the webhook backend posts.
func List(es ...*E) []byte {
	l := auditv1.EventList{TypeMeta: metav1.TypeMeta{Kind: "EventList", APIVersion: "audit.k8s.io/v1"}}
	for _, e := range es {
		l.Items = append(l.Items, e.Event)
	}
	b, err := json.Marshal(&l)
	if err != nil {
		panic(err)
	}
	return b
}
