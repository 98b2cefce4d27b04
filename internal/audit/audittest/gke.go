package audittest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// GKE returns the Cloud Logging entry GKE writes to Cloud Audit Logs for
// the audit event of line (one API server log line), field by field as GKE
// documents the mapping: what kubeward's GKE reader must map back. What GKE
// does not record (groups, impersonation, the query string) is dropped.
func GKE(line []byte) []byte {
	var e auditv1.Event
	if err := json.Unmarshal(line, &e); err != nil {
		panic(err) // test input built by the tests themselves
	}
	method, resource := "io.k8s."+e.Verb, strings.TrimPrefix(strings.SplitN(e.RequestURI, "?", 2)[0], "/")
	if o := e.ObjectRef; o != nil {
		group, token := o.APIGroup, o.APIGroup
		if group == "" {
			group, token = "core", "core"
		} else if base, ok := strings.CutSuffix(group, ".k8s.io"); ok {
			parts := strings.Split(base, ".")
			slices.Reverse(parts)
			token = strings.Join(parts, ".")
		}
		path := []string{group, o.APIVersion}
		if o.Namespace != "" && o.Resource != "namespaces" {
			path = append(path, "namespaces", o.Namespace)
		}
		path = append(path, o.Resource)
		if o.Name != "" {
			path = append(path, o.Name)
		}
		if o.Subresource != "" {
			path = append(path, o.Subresource)
		}
		resource = strings.Join(path, "/")
		m := []string{"io.k8s", token, o.APIVersion, o.Resource}
		if o.Subresource != "" {
			m = append(m, o.Subresource)
		}
		method = strings.Join(append(m, e.Verb), ".")
	}
	payload := map[string]any{
		"@type":              "type.googleapis.com/google.cloud.audit.AuditLog",
		"serviceName":        "k8s.io",
		"methodName":         method,
		"resourceName":       resource,
		"authenticationInfo": map[string]any{"principalEmail": e.User.Username},
		"authorizationInfo":  []any{map[string]any{"granted": e.Annotations["authorization.k8s.io/decision"] == "allow", "permission": method, "resource": resource}},
		"requestMetadata": map[string]any{
			"callerIp":                first(e.SourceIPs),
			"callerSuppliedUserAgent": e.UserAgent,
			"requestAttributes":       map[string]any{"time": e.RequestReceivedTimestamp.UTC().Format(time.RFC3339Nano)},
		},
		"status": grpcStatus(e),
	}
	if e.RequestObject != nil {
		payload["request"] = typed(e.RequestObject.Raw)
	}
	if e.ResponseObject != nil {
		payload["response"] = typed(e.ResponseObject.Raw)
	}
	entry := map[string]any{
		"insertId":         string(e.AuditID),
		"logName":          "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
		"operation":        map[string]any{"id": string(e.AuditID), "producer": "k8s.io", "first": true, "last": e.Stage != auditv1.StageResponseStarted},
		"protoPayload":     payload,
		"resource":         map[string]any{"type": "k8s_cluster", "labels": map[string]string{"cluster_name": "c", "location": "l", "project_id": "p"}},
		"timestamp":        e.StageTimestamp.UTC().Format(time.RFC3339Nano),
		"receiveTimestamp": e.StageTimestamp.Add(time.Second).UTC().Format(time.RFC3339Nano),
		"labels":           e.Annotations,
	}
	b, err := json.Marshal(entry)
	if err != nil {
		panic(err)
	}
	return b
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// typed adds the "@type" GKE gives a body (core.k8s.io/v1.Pod).
func typed(raw []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	if kind, _ := m["kind"].(string); kind != "" {
		group, version := "core.k8s.io", "v1"
		if av, _ := m["apiVersion"].(string); strings.Contains(av, "/") {
			group, version, _ = strings.Cut(av, "/")
		}
		m["@type"] = group + "/" + version + "." + kind
	}
	return m
}

// grpcStatus is the google.rpc.Status GKE records for an HTTP status.
func grpcStatus(e auditv1.Event) map[string]any {
	if e.ResponseStatus == nil || e.ResponseStatus.Code < 400 {
		return map[string]any{}
	}
	code := map[int32]int{400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 422: 3, 429: 8, 500: 13, 503: 14, 504: 4}[e.ResponseStatus.Code]
	if code == 0 {
		code = 2 // UNKNOWN
	}
	return map[string]any{"code": code, "message": string(e.ResponseStatus.Reason)}
}
