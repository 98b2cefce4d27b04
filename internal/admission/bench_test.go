package admission

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// typicalPod is a Pod as a Deployment's ReplicaSet would make it, of the
// size real applications have: an init container, the application and a
// sidecar, a dozen environment variables, probes, resources, volumes, the
// service account token projection the API server adds, and the
// annotations and owner reference controllers write. It is submitted by a
// person here (not by the controller), so it is evaluated in full.
func typicalPod() *corev1.Pod {
	env := []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
	for i := range 10 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("SETTING_%d", i), Value: fmt.Sprintf("value-%d", i)})
	}
	env = append(env, corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}})
	app := hardenedSpec().Containers[0]
	app.Env = env
	app.VolumeMounts = []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}, {Name: "tmp", MountPath: "/tmp"},
		{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}}
	app.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 10}
	app.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("http")}}, PeriodSeconds: 5}
	sidecar := hardenedSpec().Containers[0]
	sidecar.Name, sidecar.Ports = "proxy", []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001}}
	sidecar.Args = []string{"proxy", "--config", "/etc/proxy/config.yaml", "--log-level", "warn"}
	initC := hardenedSpec().Containers[0]
	initC.Name, initC.Ports, initC.Command = "migrate", nil, []string{"/app/migrate", "--wait"}

	spec := hardenedSpec()
	spec.InitContainers = []corev1.Container{initC}
	spec.Containers = []corev1.Container{app, sidecar}
	spec.Volumes = []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"}}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(mustQ("64Mi"))}}},
		{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		}}}},
	}
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
		Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname",
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}}
	spec.Tolerations = []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "web-7d9f8b6c5-", Namespace: "shop",
			Labels:      map[string]string{"app": "web", "pod-template-hash": "7d9f8b6c5", "app.kubernetes.io/version": "1.4.2"},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090", "checksum/config": "3f2a9c0e4b"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f8b6c5",
				UID: "3c1d2e4f-0000-4000-8000-000000000001", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}},
		Spec: spec,
	}
}

// latencies records per-operation times and reports percentiles.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	q := func(p float64) float64 { return float64(l[int(p*float64(len(l)-1))].Nanoseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p99.9-µs")
}

// BenchmarkReviewTypicalPod is the in-process cost of one review of a
// typical Pod with every registered check: the HTTP handler without the
// network (review decode, object decode, the runner, the decision, the
// response encode, metrics and the JSON log line). The second variant
// leaves out the control-plane checks, to show their share.
func BenchmarkReviewTypicalPod(b *testing.B) {
	b.Run("all-checks", func(b *testing.B) { benchReview(b, check.Defaults()) })
	b.Run("without-control-plane", func(b *testing.B) {
		var cs []*check.Check
		for _, c := range check.Defaults() {
			if c.Category != check.CategoryControlPlane {
				cs = append(cs, c)
			}
		}
		benchReview(b, cs)
	})
}

func benchReview(b *testing.B, checks []*check.Check) {
	w := newTestWebhook(b, nil, nil, StaticNamespaces{"shop": {LabelWarn: "low"}})
	w.Eval = NewEvaluator(checks, check.DefaultOptions(), nil)
	benchReviewOf(b, w, typicalPod())
}

// BenchmarkReviewVerifiedImages is the review of typicalPod whose three
// containers run a signed image of the in-process registry, with
// images.policies on and the resolver's memory warm: the webhook's steady
// state, where each digest is verified once per factsTTL and a review
// only looks its facts up. The baseline is the same review, same checks,
// with the image policies off.
func BenchmarkReviewVerifiedImages(b *testing.B) {
	h := newImageHook(b, "", 0)
	pod := typicalPod()
	runImage(pod, h.signed.Context().String()+":1.0")
	b.Run("images-off", func(b *testing.B) {
		w := newTestWebhook(b, nil, nil, nil)
		w.Eval = NewEvaluator(check.Defaults(), check.DefaultOptions(), nil)
		benchReviewOf(b, w, pod)
	})
	b.Run("warm-cache", func(b *testing.B) { benchReviewOf(b, h.testWebhook, pod) })
}

// runImage makes every container of pod run ref.
func runImage(pod *corev1.Pod, ref string) {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			cs[i].Image = ref
		}
	}
}

func benchReviewOf(b *testing.B, w *testWebhook, pod *corev1.Pod) {
	// The JSON log line is formatted as in production, then dropped.
	w.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	user := authnv1.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}}
	body := reviewBody(b, request(b, admissionv1.Create, pod, nil, user))
	// Confirm the review is evaluated, not exempted or skipped.
	if _, out := w.post(b, body); !out.Response.Allowed || out.Response.AuditAnnotations["decision"] != "allow" {
		b.Fatalf("typical pod: %+v", out.Response)
	}
	lat := make(latencies, 0, b.N)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec.Body.Reset()
		w.ServeHTTP(rec, req)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	lat.report(b)
	b.ReportMetric(float64(len(w.Eval.Checks())), "checks")
}

// BenchmarkEvaluateTypicalPod is the runner alone on the decoded Pod: what
// the checks cost, without any JSON.
func BenchmarkEvaluateTypicalPod(b *testing.B) {
	w := newTestWebhook(b, nil, nil, nil)
	pod := typicalPod()
	lat := make(latencies, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := w.Eval.Evaluate(pod, "shop"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	lat.report(b)
}

// BenchmarkAdmitTypicalPod is Admit: object decode, runner, decision.
func BenchmarkAdmitTypicalPod(b *testing.B) {
	w := newTestWebhook(b, nil, nil, nil)
	req := request(b, admissionv1.Create, typicalPod(), nil, alice)
	ctx := context.Background()
	lat := make(latencies, 0, b.N)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := w.Admit(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	lat.report(b)
}

// BenchmarkDecodeReview is the review's decode alone, typed object
// included: one pass as the handler reads an API server's review, and the
// general way (DecodeReview then DecodeObject) for comparison.
func BenchmarkDecodeReview(b *testing.B) {
	body := reviewBody(b, request(b, admissionv1.Create, typicalPod(), nil, alice))
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if d, ok := decodeReviewOnePass(body); !ok || d.object == nil {
				b.Fatal("not read in one pass")
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := DecodeReview(body)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeObject(r.Request.Object, schemaGVK(r.Request.Kind)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
