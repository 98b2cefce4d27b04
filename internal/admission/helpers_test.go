package admission

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// The image the fixtures use: tagged and pinned, as the image checks want.
const goodImage = "registry.example.com/team/app:1.4.2@sha256:0f4b7e2a0c7d5e1f3a9b8c6d4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"

// hardenedPod passes every object and pod check.
func hardenedPod(name string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}},
		Spec:       hardenedSpec(),
	}
}

func hardenedSpec() corev1.PodSpec {
	return corev1.PodSpec{
		ServiceAccountName:           "app",
		AutomountServiceAccountToken: ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](10001),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:  "app",
			Image: goodImage,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			Env:   []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: mustQ("100m"), corev1.ResourceMemory: mustQ("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: mustQ("500m"), corev1.ResourceMemory: mustQ("128Mi")},
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				ReadOnlyRootFilesystem:   ptr.To(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}
}

// privilegedPod is hardenedPod with one privileged container.
func privilegedPod(name string) *corev1.Pod {
	p := hardenedPod(name)
	p.Spec.Containers[0].SecurityContext.Privileged = ptr.To(true)
	p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	return p
}

// weakPod has only medium and lower findings (it may run as root).
func weakPod(name string) *corev1.Pod {
	p := hardenedPod(name)
	p.Spec.SecurityContext.RunAsNonRoot = nil
	p.Spec.SecurityContext.RunAsUser = nil
	return p
}

func deployment(name string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec},
		},
	}
}

// request builds an AdmissionRequest as the API server sends it.
func request(t testing.TB, op admissionv1.Operation, obj, old runtime.Object, user authnv1.UserInfo) *admissionv1.AdmissionRequest {
	t.Helper()
	gvk := obj.GetObjectKind().GroupVersionKind()
	req := &admissionv1.AdmissionRequest{
		UID:       types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"),
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Operation: op,
		UserInfo:  user,
		Object:    runtime.RawExtension{Raw: mustJSON(t, obj)},
	}
	if m, ok := obj.(metav1.Object); ok {
		req.Namespace, req.Name = m.GetNamespace(), m.GetName()
	}
	if old != nil {
		req.OldObject = runtime.RawExtension{Raw: mustJSON(t, old)}
	}
	return req
}

var alice = authnv1.UserInfo{Username: "alice", Groups: []string{"developers", "system:authenticated"}}

func reviewBody(t testing.TB, req *admissionv1.AdmissionRequest) []byte {
	t.Helper()
	return mustJSON(t, &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: req})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testWebhook is a webhook with every registered check, default options,
// and the namespace labels given.
type testWebhook struct {
	*Webhook
	logs *bytes.Buffer
	reg  *prometheus.Registry
}

func newTestWebhook(t testing.TB, pol *Policy, sup *check.Suppressions, ns StaticNamespaces) *testWebhook {
	t.Helper()
	if pol == nil {
		pol = DefaultPolicy("kubeward")
	}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	w := New(NewEvaluator(check.Defaults(), check.DefaultOptions(), sup), pol, ns, m, log)
	return &testWebhook{Webhook: w, logs: logs, reg: reg}
}

// send sends a raw body to the handler.
func (w *testWebhook) send(body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, req)
	return rec
}

// post sends a raw body to the handler and decodes the answer.
func (w *testWebhook) post(t testing.TB, body []byte) (int, *admissionv1.AdmissionReview) {
	t.Helper()
	rec := w.send(body)
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("response is not an AdmissionReview (HTTP %d): %v\n%s", rec.Code, err, rec.Body.String())
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("response = %s", rec.Body.String())
	}
	return rec.Code, &out
}

// review sends a request through the handler and returns the response.
func (w *testWebhook) review(t testing.TB, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	t.Helper()
	code, out := w.post(t, reviewBody(t, req))
	if code != http.StatusOK {
		t.Fatalf("HTTP %d: %+v", code, out.Response)
	}
	if out.Response.UID != req.UID {
		t.Fatalf("response uid %q, want %q", out.Response.UID, req.UID)
	}
	return out.Response
}

var logMu sync.Mutex

// value reads a counter or gauge.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

type lockedWriter struct {
	w *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return l.w.Write(p)
}

func warningsContain(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
