// Package event holds the audit.k8s.io/v1 event model kubeward's detectors
// read, and a fast, bounded decoder for it (single events, EventLists, JSON
// lines, gzip). It keeps only the fields detection, alerting and RBAC
// suggestion use; the request and response bodies stay raw JSON so that a
// rule that needs them decodes them once, and nothing else pays for it.
package event

import (
	"strings"
	"time"
)

// Stages and levels as the API server writes them.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"

	LevelMetadata        = "Metadata"
	LevelRequest         = "Request"
	LevelRequestResponse = "RequestResponse"
)

// Annotations the API server's authorizer and admission chain add.
const (
	AnnotationDecision = "authorization.k8s.io/decision"
	AnnotationReason   = "authorization.k8s.io/reason"
)

// Event is one audit.k8s.io/v1 Event.
//
// RequestObject and ResponseObject are the raw JSON of the bodies, or nil.
// Decoder.Decode makes them alias the decoded input; use Clone to keep an
// event past the next decode. Bodies of Secrets and of TokenRequests can hold
// credentials: they are never copied into alerts or logs (see Redact).
type Event struct {
	Level                    string
	AuditID                  string
	Stage                    string
	RequestURI               string
	Verb                     string
	User                     UserInfo
	ImpersonatedUser         *UserInfo
	SourceIPs                []string
	UserAgent                string
	ObjectRef                *ObjectRef
	ResponseStatus           *Status
	RequestObject            []byte
	ResponseObject           []byte
	RequestReceivedTimestamp time.Time
	StageTimestamp           time.Time
	Annotations              map[string]string
}

// UserInfo is authentication.k8s.io/v1 UserInfo.
type UserInfo struct {
	Username string
	UID      string
	Groups   []string
	Extra    map[string][]string
}

// ObjectRef is the audit ObjectReference: the authorizer's view of the target.
type ObjectRef struct {
	Resource        string
	Namespace       string
	Name            string
	UID             string
	APIGroup        string
	APIVersion      string
	ResourceVersion string
	Subresource     string
}

// Status is the part of metav1.Status an audit event carries that rules read.
type Status struct {
	Code    int32
	Status  string
	Reason  string
	Message string
}

// Reset clears e for reuse, keeping allocated capacity.
func (e *Event) Reset() {
	groups, ips := e.User.Groups[:0], e.SourceIPs[:0]
	ann := e.Annotations
	clear(ann)
	*e = Event{}
	e.User.Groups, e.SourceIPs, e.Annotations = groups, ips, ann
}

// Clone returns a deep copy of e that does not alias the decoder's input.
func (e *Event) Clone() *Event {
	c := *e
	c.User = e.User.clone()
	if e.ImpersonatedUser != nil {
		u := e.ImpersonatedUser.clone()
		c.ImpersonatedUser = &u
	}
	c.SourceIPs = append([]string(nil), e.SourceIPs...)
	if e.ObjectRef != nil {
		o := *e.ObjectRef
		c.ObjectRef = &o
	}
	if e.ResponseStatus != nil {
		s := *e.ResponseStatus
		c.ResponseStatus = &s
	}
	c.RequestObject = cloneBytes(e.RequestObject)
	c.ResponseObject = cloneBytes(e.ResponseObject)
	if e.Annotations != nil {
		c.Annotations = make(map[string]string, len(e.Annotations))
		for k, v := range e.Annotations {
			c.Annotations[k] = v
		}
	}
	return &c
}

func (u UserInfo) clone() UserInfo {
	c := u
	c.Groups = append([]string(nil), u.Groups...)
	if u.Extra != nil {
		c.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			c.Extra[k] = append([]string(nil), v...)
		}
	}
	return c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// Final reports whether this stage is the one at which the request's outcome
// is known: ResponseComplete or Panic. Long-running requests (exec, watch)
// also have a ResponseStarted stage, which Started reports.
func (e *Event) Final() bool { return e.Stage == StageResponseComplete || e.Stage == StagePanic }

// Started reports whether the response has begun: ResponseStarted, or a
// final stage.
func (e *Event) Started() bool { return e.Stage == StageResponseStarted || e.Final() }

// Code is the response code, 0 when unknown.
func (e *Event) Code() int32 {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Succeeded reports a 2xx response, or 101 (an upgraded exec/attach stream).
func (e *Event) Succeeded() bool {
	c := e.Code()
	return (c >= 200 && c < 300) || c == 101
}

// Decision is the authorizer's decision annotation ("allow", "forbid"), or
// "" when the event has none (levels below Metadata, or unauthenticated).
func (e *Event) Decision() string { return e.Annotations[AnnotationDecision] }

// Allowed reports whether the request passed authorization: the decision
// annotation when present, otherwise a response code that is neither 401
// nor 403.
func (e *Event) Allowed() bool {
	if d, ok := e.Annotations[AnnotationDecision]; ok {
		return d == "allow"
	}
	c := e.Code()
	return c != 401 && c != 403 && c != 0
}

// Forbidden reports a request the authorizer or admission refused with 403.
func (e *Event) Forbidden() bool {
	if e.Annotations[AnnotationDecision] == "forbid" {
		return true
	}
	return e.Code() == 403
}

// Resource returns the object reference's resource, or "".
func (e *Event) Resource() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Resource
}

// Subresource returns the object reference's subresource, or "".
func (e *Event) Subresource() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Subresource
}

// Namespace returns the object reference's namespace, or "".
func (e *Event) Namespace() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Namespace
}

// Name returns the object reference's name, or "".
func (e *Event) Name() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.Name
}

// APIGroup returns the object reference's API group ("" for core), or "".
func (e *Event) APIGroup() string {
	if e.ObjectRef == nil {
		return ""
	}
	return e.ObjectRef.APIGroup
}

// Is reports whether the event targets group/resource with no subresource.
func (e *Event) Is(group, resource string) bool {
	o := e.ObjectRef
	return o != nil && o.Resource == resource && o.APIGroup == group && o.Subresource == ""
}

// IsSub reports whether the event targets group/resource/subresource.
func (e *Event) IsSub(group, resource, sub string) bool {
	o := e.ObjectRef
	return o != nil && o.Resource == resource && o.APIGroup == group && o.Subresource == sub
}

// Time is the stage timestamp, falling back to the request's receipt.
func (e *Event) Time() time.Time {
	if !e.StageTimestamp.IsZero() {
		return e.StageTimestamp
	}
	return e.RequestReceivedTimestamp
}

// SensitiveBody reports whether the request or response body may carry a
// credential: Secrets, TokenRequests (serviceaccounts/token), TokenReviews
// and CertificateSigningRequests' issued certificates are not secret, but
// their keys never travel. Decoder drops such bodies unless told to keep
// them.
func (e *Event) SensitiveBody() bool {
	o := e.ObjectRef
	if o == nil {
		return false
	}
	switch {
	case o.Resource == "secrets" && o.APIGroup == "":
		return true
	case o.Resource == "serviceaccounts" && o.Subresource == "token":
		return true
	case o.Resource == "tokenreviews" && o.APIGroup == "authentication.k8s.io":
		return true
	}
	return false
}

// ServiceAccountPrefix starts the user name of every service account.
const ServiceAccountPrefix = "system:serviceaccount:"

// ServiceAccount splits a service account user name into namespace and name.
func ServiceAccount(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, ServiceAccountPrefix)
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return ns, name, true
}

// InGroup reports whether u is in group g.
func (u *UserInfo) InGroup(g string) bool {
	for _, x := range u.Groups {
		if x == g {
			return true
		}
	}
	return false
}
