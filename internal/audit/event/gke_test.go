package event_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

// gkeEntry builds a Cloud Logging entry in the shape GKE writes Kubernetes
// audit events to Cloud Audit Logs (as `gcloud logging read --format=json`
// prints it); payload is the rest of the protoPayload.
func gkeEntry(id, method, resource, principal, payload string) string {
	if payload != "" {
		payload = "," + payload
	}
	return fmt.Sprintf(`{
  "insertId": %[1]q,
  "logName": "projects/p/logs/cloudaudit.googleapis.com%%2Factivity",
  "operation": {"first": true, "id": %[1]q, "last": true, "producer": "k8s.io"},
  "protoPayload": {
    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
    "authenticationInfo": {"principalEmail": %[4]q},
    "authorizationInfo": [{"granted": true, "permission": %[2]q, "resource": %[3]q}],
    "methodName": %[2]q,
    "requestMetadata": {"callerIp": "203.0.113.7", "callerSuppliedUserAgent": "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef"},
    "resourceName": %[3]q,
    "serviceName": "k8s.io"%[5]s
  },
  "receiveTimestamp": "2026-03-01T12:00:05.123456789Z",
  "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "prod", "location": "europe-west1", "project_id": "p"}},
  "timestamp": "2026-03-01T12:00:00.5Z",
  "labels": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"x\""}
}`, id, method, resource, principal, payload)
}

const gkePod = `{"@type": "core.k8s.io/v1.Pod", "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "shop"},
 "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": true}}]}}`

func TestDecodeGKE(t *testing.T) {
	for _, tc := range []struct {
		name, doc                                             string
		verb, uri, group, version, ns, resource, sub, objName string
		code                                                  int32
		level                                                 string
	}{
		{name: "create a pod", verb: "create", uri: "/api/v1/namespaces/shop/pods", version: "v1", ns: "shop", resource: "pods", objName: "debug", code: 201, level: "RequestResponse",
			doc: gkeEntry("7c1b1ac4-5a39-4f06-9a44-0f5e3b3c1d11", "io.k8s.core.v1.pods.create", "core/v1/namespaces/shop/pods/debug", "alice@example.com",
				`"request": `+gkePod+`, "response": `+gkePod+`, "status": {}`)},
		{name: "exec", verb: "create", uri: "/api/v1/namespaces/shop/pods/api-1/exec", version: "v1", ns: "shop", resource: "pods", sub: "exec", objName: "api-1", code: 101, level: "Metadata",
			doc: gkeEntry("e1", "io.k8s.core.v1.pods.exec.create", "core/v1/namespaces/shop/pods/api-1/exec", "alice@example.com", `"status": {}`)},
		{name: "cluster-scoped RBAC", verb: "create", uri: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", group: "rbac.authorization.k8s.io", version: "v1",
			resource: "clusterrolebindings", objName: "dev-admin", code: 201, level: "Request",
			doc: gkeEntry("r1", "io.k8s.authorization.rbac.v1.clusterrolebindings.create", "rbac.authorization.k8s.io/v1/clusterrolebindings/dev-admin", "bob@example.com",
				`"request": {"@type": "rbac.authorization.k8s.io/v1.ClusterRoleBinding", "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}`)},
		// A namespace's status is its subresource, as the API server parses it.
		{name: "namespace status", verb: "update", uri: "/api/v1/namespaces/dev/status", version: "v1", ns: "dev", resource: "namespaces", sub: "status", objName: "dev", code: 200, level: "Metadata",
			doc: gkeEntry("n1", "io.k8s.core.v1.namespaces.status.update", "core/v1/namespaces/dev/status", "system:serviceaccount:kube-system:namespace-controller", "")},
		{name: "list", verb: "list", uri: "/apis/apps/v1/namespaces/shop/deployments", group: "apps", version: "v1", ns: "shop", resource: "deployments", code: 200, level: "Metadata",
			doc: gkeEntry("l1", "io.k8s.apps.v1.deployments.list", "apps/v1/namespaces/shop/deployments", "carol@example.com", "")},
		// Denied: the Status the API server answered is kept.
		{name: "forbidden", verb: "get", uri: "/api/v1/namespaces/kube-system/secrets/token", version: "v1", ns: "kube-system", resource: "secrets", objName: "token", code: 403, level: "RequestResponse",
			doc: gkeEntry("f1", "io.k8s.core.v1.secrets.get", "core/v1/namespaces/kube-system/secrets/token", "mallory@example.com",
				`"response": {"@type": "core.k8s.io/v1.Status", "apiVersion": "v1", "kind": "Status", "code": 403, "reason": "Forbidden", "status": "Failure", "message": "secrets \"token\" is forbidden"}, "status": {"code": 7, "message": "Forbidden"}`)},
		// Without a Status body, the gRPC code maps to HTTP.
		{name: "unauthenticated", verb: "list", uri: "/api/v1/pods", version: "v1", resource: "pods", code: 401, level: "Metadata",
			doc: gkeEntry("u1", "io.k8s.core.v1.pods.list", "core/v1/pods", "", `"status": {"code": 16, "message": "Unauthorized"}`)},
		{name: "non-resource", verb: "get", uri: "/healthz", code: 200, level: "Metadata",
			doc: gkeEntry("h1", "io.k8s.get", "healthz", "system:anonymous", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := decodeOne(t, tc.doc)
			if e.Verb != tc.verb || e.RequestURI != tc.uri || e.Code() != tc.code || e.Level != tc.level || e.Stage != event.StageResponseComplete {
				t.Errorf("verb %q uri %q code %d level %q stage %q", e.Verb, e.RequestURI, e.Code(), e.Level, e.Stage)
			}
			if tc.resource == "" {
				if e.ObjectRef != nil {
					t.Errorf("objectRef %+v for a non-resource request", e.ObjectRef)
				}
				return
			}
			o := e.ObjectRef
			if o == nil || o.APIGroup != tc.group || o.APIVersion != tc.version || o.Namespace != tc.ns || o.Resource != tc.resource || o.Subresource != tc.sub || o.Name != tc.objName {
				t.Errorf("objectRef %+v", o)
			}
		})
	}

	e := decodeOne(t, gkeEntry("7c1b1ac4", "io.k8s.core.v1.pods.create", "core/v1/namespaces/shop/pods/debug", "alice@example.com",
		`"request": `+gkePod+`, "status": {}`))
	checks := []struct{ name, got, want string }{
		{"auditID", e.AuditID, "7c1b1ac4"},
		{"user", e.User.Username, "alice@example.com"},
		{"source", strings.Join(e.SourceIPs, ","), "203.0.113.7"},
		{"agent", e.UserAgent, "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef"},
		{"decision", e.Decision(), "allow"},
		{"time", e.StageTimestamp.Format(time.RFC3339Nano), "2026-03-01T12:00:00.5Z"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if strings.Contains(string(e.RequestObject), "@type") || !strings.Contains(string(e.RequestObject), `"privileged":true`) {
		t.Errorf("request body %s", e.RequestObject)
	}
	if e.ResponseObject != nil {
		t.Errorf("response body %s without a response", e.ResponseObject)
	}
	// A long-running request's first entry is its ResponseStarted stage.
	started := strings.Replace(gkeEntry("w1", "io.k8s.core.v1.pods.watch", "core/v1/pods", "a", ""), `"last": true`, `"last": false`, 1)
	if e := decodeOne(t, started); e.Stage != event.StageResponseStarted {
		t.Errorf("stage %q", e.Stage)
	}
	// A Secret's body never survives decoding, as with the API server's own events.
	secret := gkeEntry("s1", "io.k8s.core.v1.secrets.create", "core/v1/namespaces/a/secrets/db", "a",
		`"request": {"@type": "core.k8s.io/v1.Secret", "data": {"password": "aHVudGVyMg=="}}`)
	if e := decodeOne(t, secret); e.RequestObject != nil {
		t.Errorf("secret body kept: %s", e.RequestObject)
	}
}

func TestDecodeGKEErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"GKE's own API": `{"insertId": "x", "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "container.googleapis.com",
			"methodName": "google.container.v1.ClusterManager.CreateCluster"}}`,
		"other payload":       `{"insertId": "x", "protoPayload": {"@type": "type.googleapis.com/google.cloud.bigquery.v2.Job"}}`,
		"no id":               `{"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "k8s.io", "methodName": "io.k8s.core.v1.pods.get"}}`,
		"bad resource path":   gkeEntry("x", "io.k8s.core.v1.pods.get", "core/v1/namespaces/a//x", "a", ""),
		"bad timestamp":       strings.Replace(gkeEntry("x", "io.k8s.core.v1.pods.get", "core/v1/pods", "a", ""), "2026-03-01T12:00:00.5Z", "yesterday", 1),
		"body not an object":  gkeEntry("x", "io.k8s.core.v1.pods.create", "core/v1/namespaces/a/pods", "a", `"request": "hunter2"`),
		"wrong type":          `{"insertId": "x", "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "k8s.io", "methodName": "io.k8s.core.v1.pods.get", "resourceName": 7}}`,
		"empty protoPayload":  `{"insertId": "x", "protoPayload": null}`,
		"operation not bools": `{"insertId": "x", "operation": {"first": "hunter2"}, "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := event.NewDecoder(event.Limits{}).Decode([]byte(doc))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error quotes the input: %v", err)
			}
		})
	}
}

// gcloud logging read --format=json prints an array of entries: each is a
// document of its own, with its own line.
func TestReadGKEArray(t *testing.T) {
	doc := "[\n" + gkeEntry("a1", "io.k8s.core.v1.pods.get", "core/v1/namespaces/x/pods/p", "a", "") + ",\n" +
		`{"insertId": "b", "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "container.googleapis.com", "methodName": "google.container.v1.ClusterManager.GetCluster"}}` + ",\n" +
		gkeEntry("c3", "io.k8s.core.v1.pods.delete", "core/v1/namespaces/x/pods/p", "a", "") + "\n]\n"
	r := &record{}
	if err := event.Read(strings.NewReader(doc), "gke.json", event.NewDecoder(event.Limits{}), r); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(r.out, "\n")
	if len(r.out) != 3 || !strings.HasPrefix(r.out[0], "ev 2 ") || !strings.HasSuffix(r.out[0], " a1") ||
		!strings.HasPrefix(r.out[1], "bad 20 ") || !strings.Contains(r.out[1], "not a Kubernetes audit event") ||
		!strings.HasPrefix(r.out[2], "ev 21 ") || !strings.HasSuffix(r.out[2], " c3") {
		t.Errorf("got\n%s", got)
	}
	// One entry per line, as log sinks write them to Cloud Storage.
	r = &record{}
	lines := strings.ReplaceAll(gkeEntry("a1", "io.k8s.core.v1.pods.get", "core/v1/pods", "a", ""), "\n", "") + "\n" +
		strings.ReplaceAll(gkeEntry("b2", "io.k8s.core.v1.pods.get", "core/v1/pods", "a", ""), "\n", "") + "\n"
	if err := event.Read(strings.NewReader(lines), "gke.jsonl", event.NewDecoder(event.Limits{}), r); err != nil || len(r.out) != 2 || !strings.HasPrefix(r.out[1], "ev 2 ") {
		t.Errorf("JSON lines: %v %q", err, r.out)
	}
}

// FuzzDecodeGKE: the Cloud Logging reader never panics, stays within the
// decoder's limits, never quotes a value in an error, and every entry it
// accepts is one event with an audit ID.
func FuzzDecodeGKE(f *testing.F) {
	f.Add([]byte(gkeEntry("7c1b", "io.k8s.core.v1.pods.create", "core/v1/namespaces/shop/pods/debug", "alice@example.com", `"request": `+gkePod+`, "status": {}`)))
	f.Add([]byte(gkeEntry("e1", "io.k8s.core.v1.pods.exec.create", "core/v1/namespaces/shop/pods/api-1/exec", "a", `"status": {"code": 7, "message": "Forbidden"}`)))
	f.Add([]byte(gkeEntry("n1", "io.k8s.get", "apis", "", "")))
	f.Add([]byte(`{"insertId":"x","operation":{"first":"true"},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"k8s.io","methodName":"io.k8s.x","resourceName":"a/v1/namespaces"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const secret = "hunter2-do-not-echo"
		if strings.Contains(string(data), secret) {
			return
		}
		data = []byte(strings.Replace(string(data), "alice@example.com", secret, 1))
		evs, err := event.NewDecoder(event.Limits{MaxDepth: 64, MaxDocBytes: 1 << 16}).Decode(data)
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		for _, e := range evs {
			if e.AuditID == "" {
				t.Fatalf("event without an audit ID from %s", data)
			}
		}
	})
}

// Every event of a busy cluster's log (audittest.Mix), written as GKE writes
// it, reads back as the API server's own event, less what GKE does not
// record (groups, extra, impersonation, the query string).
func TestGKEReadsBackTheAPIServersEvents(t *testing.T) {
	native, gke := event.NewDecoder(event.Limits{}), event.NewDecoder(event.Limits{})
	for i, line := range audittest.Mix(3000, 50, 7) {
		wants, err := native.Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		gots, err := gke.Decode(audittest.GKE(line))
		if err != nil {
			t.Fatalf("line %d: %v\n%s", i, err, audittest.GKE(line))
		}
		w, g := wants[0], gots[0]
		type view struct {
			ID, Level, Stage, Verb, User, URI, Agent string
			IPs                                      []string
			Ref                                      event.ObjectRef
			HasRef                                   bool
			Code                                     int32
			Decision                                 string
			Received, Stage2                         time.Time
		}
		v := func(e *event.Event) view {
			var ref event.ObjectRef
			if e.ObjectRef != nil {
				ref = *e.ObjectRef
				ref.UID, ref.ResourceVersion = "", "" // not recorded by GKE
			}
			uri := strings.SplitN(e.RequestURI, "?", 2)[0]
			if e.Verb == "create" && ref.Subresource == "" && ref.Name != "" {
				// A create posts to the collection (audittest's builder
				// names the object in the URI; the API server does not).
				uri = strings.TrimSuffix(uri, "/"+ref.Name)
			}
			return view{e.AuditID, e.Level, e.Stage, e.Verb, e.User.Username, uri, e.UserAgent,
				e.SourceIPs, ref, e.ObjectRef != nil, e.Code(), e.Decision(), e.RequestReceivedTimestamp, e.StageTimestamp}
		}
		if gv, wv := v(g), v(w); fmt.Sprint(gv) != fmt.Sprint(wv) {
			t.Fatalf("line %d:\n got %+v\nwant %+v\n%s", i, gv, wv, line)
		}
		if !jsonEqual(t, g.RequestObject, w.RequestObject) || !jsonEqual(t, g.ResponseObject, w.ResponseObject) {
			t.Fatalf("line %d: bodies %s / %s, want %s / %s", i, g.RequestObject, g.ResponseObject, w.RequestObject, w.ResponseObject)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("bodies are not JSON: %s %s", a, b)
	}
	return reflect.DeepEqual(x, y)
}
