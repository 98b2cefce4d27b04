package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// GKE writes the Kubernetes API server's audit events to Cloud Audit Logs
// (Cloud Logging), as LogEntry objects whose protoPayload is a
// google.cloud.audit.AuditLog: what `gcloud logging read --format=json`
// prints, and what log sinks write to Cloud Storage (one entry per line) or
// publish to Pub/Sub. decodeLogEntry maps such an entry back to the event it
// records, field by field as GKE documents them:
//
//	auditID           operation.id (insertId when there is no operation)
//	stage             operation.last: ResponseComplete; first only: ResponseStarted
//	verb              the last part of protoPayload.methodName (io.k8s.core.v1.pods.exec.create)
//	objectRef         protoPayload.resourceName (core/v1/namespaces/NS/pods/NAME/exec),
//	                  parsed by the API server's own request-info parser
//	requestURI        the path resourceName stands for (/api/v1/namespaces/NS/pods/NAME/exec;
//	                  a create names the collection); the query string is not recorded
//	user.username     protoPayload.authenticationInfo.principalEmail
//	sourceIPs         protoPayload.requestMetadata.callerIp
//	userAgent         protoPayload.requestMetadata.callerSuppliedUserAgent
//	responseStatus    protoPayload.response when it is a Status; else protoPayload.status,
//	                  whose gRPC code maps to HTTP as google.rpc.Code says (OK is 200,
//	                  201 for a create, 101 for exec, attach and port-forward streams)
//	requestObject     protoPayload.request, without its "@type"
//	responseObject    protoPayload.response, without its "@type"
//	annotations       the entry's labels (authorization.k8s.io/decision, ...)
//	timestamps        timestamp (requestMetadata.requestAttributes.time for the request)
//	level             RequestResponse with a response, Request with a request, else Metadata
//
// GKE does not record the user's groups, uid and extra, nor an
// impersonated user: rules that read them do not fire on GKE logs.
// Entries of other services (GKE's own API, container.googleapis.com) are
// not Kubernetes audit events and are errors.

// AuditLogType is the protoPayload type of Cloud Audit Logs entries.
const AuditLogType = "type.googleapis.com/google.cloud.audit.AuditLog"

// logEntry is the part of a Cloud Logging LogEntry that GKE's Kubernetes
// audit logs fill.
type logEntry struct {
	InsertID  string            `json:"insertId"`
	Timestamp string            `json:"timestamp"`
	Labels    map[string]string `json:"labels"`
	Operation *struct {
		ID    string   `json:"id"`
		First flexBool `json:"first"`
		Last  flexBool `json:"last"`
	} `json:"operation"`
	ProtoPayload *auditLog `json:"protoPayload"`
}

type auditLog struct {
	Type               string `json:"@type"`
	ServiceName        string `json:"serviceName"`
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"authenticationInfo"`
	RequestMetadata struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
		RequestAttributes       struct {
			Time string `json:"time"`
		} `json:"requestAttributes"`
	} `json:"requestMetadata"`
	Status *struct {
		Code    int32  `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Request  json.RawMessage `json:"request"`
	Response json.RawMessage `json:"response"`
}

// flexBool reads true and "true" alike: exports that went through a
// pipeline sometimes quote the operation's booleans.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return fmt.Errorf("operation flag is not a boolean")
	}
	return nil
}

// decodeLogEntry reads a GKE Cloud Audit Logs entry (the scanner has
// validated its syntax and depth) into d.top.
func (d *Decoder) decodeLogEntry(data []byte) ([]*Event, error) {
	var le logEntry
	if err := json.Unmarshal(data, &le); err != nil {
		// Syntax was checked: what fails here is a field of the wrong type.
		// Say which field, never its value.
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			return nil, fmt.Errorf("Cloud Logging entry: %s is not a %s", te.Field, te.Type)
		}
		return nil, fmt.Errorf("Cloud Logging entry: %s", strings.SplitN(err.Error(), ":", 2)[0])
	}
	p := le.ProtoPayload
	switch {
	case p == nil:
		return nil, fmt.Errorf("Cloud Logging entry with an empty protoPayload")
	case p.Type != AuditLogType:
		return nil, fmt.Errorf("Cloud Logging entry whose protoPayload is not a %s", AuditLogType)
	case p.ServiceName != "k8s.io" || !strings.HasPrefix(p.MethodName, "io.k8s."):
		return nil, fmt.Errorf("Cloud Audit Logs entry of service %q, method %q: not a Kubernetes audit event",
			clip(p.ServiceName), clip(p.MethodName))
	}
	e := &d.top
	e.Reset()
	e.AuditID = le.InsertID
	e.Stage = StageResponseComplete
	if op := le.Operation; op != nil {
		if op.ID != "" {
			e.AuditID = op.ID
		}
		if op.First && !op.Last {
			e.Stage = StageResponseStarted
		}
	}
	if e.AuditID == "" {
		return nil, errNotEvent
	}
	e.Verb = p.MethodName[strings.LastIndexByte(p.MethodName, '.')+1:]
	if err := d.gkeTarget(e, p.ResourceName); err != nil {
		return nil, err
	}
	e.User.Username = p.AuthenticationInfo.PrincipalEmail
	if ip := p.RequestMetadata.CallerIP; ip != "" {
		e.SourceIPs = append(e.SourceIPs, ip)
	}
	e.UserAgent = p.RequestMetadata.CallerSuppliedUserAgent
	if len(le.Labels) > 0 {
		e.Annotations = le.Labels
	}
	var err error
	if e.StageTimestamp, err = gkeTime(le.Timestamp, "timestamp"); err != nil {
		return nil, err
	}
	e.RequestReceivedTimestamp = e.StageTimestamp
	if t := p.RequestMetadata.RequestAttributes.Time; t != "" {
		if e.RequestReceivedTimestamp, err = gkeTime(t, "requestAttributes.time"); err != nil {
			return nil, err
		}
	}
	if e.RequestObject, err = gkeBody(p.Request); err != nil {
		return nil, fmt.Errorf("protoPayload.request: %w", err)
	}
	if e.ResponseObject, err = gkeBody(p.Response); err != nil {
		return nil, fmt.Errorf("protoPayload.response: %w", err)
	}
	switch {
	case e.ResponseObject != nil:
		e.Level = LevelRequestResponse
	case e.RequestObject != nil:
		e.Level = LevelRequest
	default:
		e.Level = LevelMetadata
	}
	e.ResponseStatus = gkeStatus(e, p)
	d.result = append(d.result[:0], d.finish(e))
	return d.result, nil
}

// gkeTarget sets the object reference and request URI from a resourceName.
func (d *Decoder) gkeTarget(e *Event, resourceName string) error {
	parts := strings.Split(strings.Trim(resourceName, "/"), "/")
	if len(parts) < 3 || !isVersion(parts[1]) {
		// A non-resource request (/healthz, /version) names its path.
		e.RequestURI = "/" + strings.TrimPrefix(resourceName, "/")
		return nil
	}
	path := "/apis/" + strings.Join(parts, "/")
	if parts[0] == "core" {
		path = "/api/" + strings.Join(parts[1:], "/")
	}
	// The API server's own parser of request paths, configured as the API
	// server configures it (status and finalize of a namespace are its
	// subresources, not resources in it).
	factory := request.RequestInfoFactory{APIPrefixes: sets.NewString("api", "apis"), GrouplessAPIPrefixes: sets.NewString("api")}
	info, err := factory.NewRequestInfo(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}})
	if err != nil || !info.IsResourceRequest || info.Resource == "" {
		return fmt.Errorf("protoPayload.resourceName is not a Kubernetes resource path")
	}
	e.ObjectRef = &ObjectRef{APIGroup: info.APIGroup, APIVersion: info.APIVersion, Namespace: info.Namespace,
		Resource: info.Resource, Name: info.Name, Subresource: info.Subresource}
	if e.Verb == "create" && info.Subresource == "" && info.Name != "" && len(info.Parts) == 2 {
		// GKE names the created object; the request went to its collection.
		path = path[:strings.LastIndexByte(path, '/')]
	}
	e.RequestURI = path
	return nil
}

// gkeBody returns a request or response body without the "@type" GKE adds.
func gkeBody(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not an object")
	}
	if _, ok := m["@type"]; !ok {
		return raw, nil
	}
	delete(m, "@type")
	return json.Marshal(m)
}

// isVersion reports whether s is a Kubernetes API version (v1, v1beta1,
// v2alpha3).
func isVersion(s string) bool {
	rest, ok := strings.CutPrefix(s, "v")
	digits := func(s string) (string, bool) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return s[i:], i > 0 && s[0] != '0'
	}
	if rest, ok = digits(rest); !ok {
		return false
	}
	for _, stage := range []string{"alpha", "beta"} {
		if r, found := strings.CutPrefix(rest, stage); found {
			rest, ok = digits(r)
			return ok && rest == ""
		}
	}
	return ok && rest == ""
}

// grpcToHTTP maps a google.rpc.Code to the HTTP status its definition
// (google/rpc/code.proto) names.
func grpcToHTTP(code int32) int32 {
	switch code {
	case 1: // CANCELLED
		return 499
	case 3, 9, 11: // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
		return http.StatusBadRequest
	case 4: // DEADLINE_EXCEEDED
		return http.StatusGatewayTimeout
	case 5: // NOT_FOUND
		return http.StatusNotFound
	case 6, 10: // ALREADY_EXISTS, ABORTED
		return http.StatusConflict
	case 7: // PERMISSION_DENIED
		return http.StatusForbidden
	case 8: // RESOURCE_EXHAUSTED
		return http.StatusTooManyRequests
	case 12: // UNIMPLEMENTED
		return http.StatusNotImplemented
	case 14: // UNAVAILABLE
		return http.StatusServiceUnavailable
	case 16: // UNAUTHENTICATED
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError // UNKNOWN, INTERNAL, DATA_LOSS and codes yet to come
}

// gkeStatus is the response status: the Status object the API server
// answered, when GKE kept it, else the gRPC status of the entry.
func gkeStatus(e *Event, p *auditLog) *Status {
	if e.ResponseObject != nil {
		var st struct {
			Kind    string `json:"kind"`
			Code    int32  `json:"code"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		}
		if json.Unmarshal(e.ResponseObject, &st) == nil && st.Kind == "Status" && st.Code != 0 {
			return &Status{Code: st.Code, Status: st.Status, Reason: st.Reason, Message: st.Message}
		}
	}
	st := &Status{Code: http.StatusOK}
	if p.Status != nil && p.Status.Code != 0 {
		st.Code, st.Status, st.Message = grpcToHTTP(p.Status.Code), "Failure", p.Status.Message
		return st
	}
	if o := e.ObjectRef; o != nil {
		switch {
		case o.Subresource == "exec" || o.Subresource == "attach" || o.Subresource == "portforward":
			st.Code = http.StatusSwitchingProtocols
		case e.Verb == "create":
			st.Code = http.StatusCreated
		}
	}
	return st
}

func gkeTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("Cloud Logging entry: %s is not RFC 3339", field)
	}
	return t.UTC(), nil
}

// clip bounds a name from the input in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
