package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func TestPrivilegedPodDenied(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	r := w.review(t, request(t, admissionv1.Create, privilegedPod("bad"), nil, alice))
	if r.Allowed || r.Result == nil || r.Result.Code != http.StatusForbidden || r.Result.Reason != metav1.StatusReasonForbidden {
		t.Fatalf("response = %+v", r)
	}
	for _, want := range []string{
		"kubeward: Pod/shop/bad violates 1 check(s) at or above high (the enforce level of namespace shop)",
		"- pss-privileged (critical) at spec.containers[0].securityContext.privileged: ",
		`container "app" must not set securityContext.privileged=true`,
		"Fix: Remove securityContext.privileged",
		"suppress.kubeward.dev/CHECK-ID",
	} {
		if !strings.Contains(r.Result.Message, want) {
			t.Errorf("message lacks %q:\n%s", want, r.Result.Message)
		}
	}
	if r.AuditAnnotations["decision"] != "deny" || !strings.Contains(r.AuditAnnotations["findings"], "pss-privileged(critical)") {
		t.Errorf("audit annotations = %v", r.AuditAnnotations)
	}
	// Denied findings are not repeated as warnings.
	if warningsContain(r.Warnings, "pss-privileged") {
		t.Errorf("warnings repeat the denial: %q", r.Warnings)
	}
}

func TestCompliantPodAdmitted(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelWarn: "info", LabelAudit: "info"}})
	r := w.review(t, request(t, admissionv1.Create, hardenedPod("web"), nil, alice))
	if !r.Allowed || r.Result != nil || len(r.Warnings) != 0 || r.AuditAnnotations["findings"] != "" {
		t.Fatalf("a compliant pod at every level: %+v", r)
	}
}

func TestModesFromNamespaceLabels(t *testing.T) {
	ns := StaticNamespaces{
		"warn-only": {LabelEnforce: "none", LabelWarn: "medium", LabelAudit: "none"},
		"audit":     {LabelEnforce: "none", LabelWarn: "none", LabelAudit: "info"},
		"strict":    {LabelEnforce: "medium"},
		"typo":      {LabelEnforce: "hgih"},
	}
	w := newTestWebhook(t, nil, nil, ns)
	in := func(ns string, p *corev1.Pod) *corev1.Pod { p.Namespace = ns; return p }

	// warn: a privileged pod is admitted with a warning kubectl prints.
	r := w.review(t, request(t, admissionv1.Create, in("warn-only", privilegedPod("p")), nil, alice))
	if !r.Allowed || len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "kubeward: pss-privileged (critical) at spec.containers[0].securityContext.privileged: ") {
		t.Errorf("warn mode: %+v", r)
	}
	if _, ok := r.AuditAnnotations["findings"]; ok {
		t.Errorf("audit is off, yet: %v", r.AuditAnnotations)
	}

	// audit: admitted quietly, the findings in the audit annotations.
	r = w.review(t, request(t, admissionv1.Create, in("audit", weakPod("p")), nil, alice))
	if !r.Allowed || len(r.Warnings) != 0 || !strings.Contains(r.AuditAnnotations["findings"], "run-as-non-root(medium) spec.securityContext.runAsNonRoot") {
		t.Errorf("audit mode: %+v", r)
	}

	// A stricter enforce level denies what the default only warns about.
	r = w.review(t, request(t, admissionv1.Create, in("strict", weakPod("p")), nil, alice))
	if r.Allowed || !strings.Contains(r.Result.Message, "run-as-non-root (medium)") {
		t.Errorf("enforce medium: %+v", r)
	}
	r = w.review(t, request(t, admissionv1.Create, in("shop", weakPod("p")), nil, alice))
	if !r.Allowed || !warningsContain(r.Warnings, "run-as-non-root (medium)") {
		t.Errorf("defaults (enforce high, warn medium): %+v", r)
	}

	// A misspelt level takes the default and says so.
	r = w.review(t, request(t, admissionv1.Create, in("typo", privilegedPod("p")), nil, alice))
	if r.Allowed || !warningsContain(r.Warnings, `namespace label kubeward.dev/enforce="hgih" is not a severity or none; using high`) {
		t.Errorf("invalid label: %+v", r)
	}
}

func TestDeploymentTemplateDenied(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	r := w.review(t, request(t, admissionv1.Create, deployment("web", privilegedPod("x").Spec), nil, alice))
	if r.Allowed || !strings.Contains(r.Result.Message, "Deployment/shop/web violates 1 check(s)") ||
		!strings.Contains(r.Result.Message, "pss-privileged (critical) at spec.template.spec.containers[0].securityContext.privileged") {
		t.Fatalf("response = %+v", r)
	}
	cj := &batchv1.CronJob{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: "shop"},
		Spec: batchv1.CronJobSpec{Schedule: "0 1 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: privilegedPod("x").Spec}}}}}
	r = w.review(t, request(t, admissionv1.Create, cj, nil, alice))
	if r.Allowed || !strings.Contains(r.Result.Message, "at spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged") {
		t.Fatalf("cronjob: %+v", r)
	}
}

func TestSuppressionsAsInScan(t *testing.T) {
	sup := &check.Suppressions{Origin: ".kubeward.yaml", Rules: []check.SuppressionRule{
		{Check: "pss-privileged", Namespace: "infra", Name: "node-agent", Reason: "the agent configures the host network"},
	}}
	w := newTestWebhook(t, nil, sup, nil)
	const key = check.AnnotationPrefix + "pss-privileged"

	onTemplate := deployment("a", privilegedPod("x").Spec)
	onTemplate.Spec.Template.Annotations = map[string]string{key: "loads a kernel module"}
	onObject := deployment("b", privilegedPod("x").Spec)
	onObject.Annotations = map[string]string{key: "loads a kernel module"}
	onPod := privilegedPod("c")
	onPod.Annotations = map[string]string{key: "2999-01-01: loads a kernel module"}
	byConfig := privilegedPod("node-agent")
	byConfig.Namespace = "infra"
	for _, obj := range []runtime.Object{onTemplate, onObject, onPod, byConfig} {
		r := w.review(t, request(t, admissionv1.Create, obj, nil, alice))
		if !r.Allowed || r.AuditAnnotations["suppressed"] != "1" {
			t.Errorf("%s: %+v", obj.(metav1.Object).GetName(), r)
		}
	}

	expired := privilegedPod("d")
	expired.Annotations = map[string]string{key: "2020-01-01: loads a kernel module"}
	r := w.review(t, request(t, admissionv1.Create, expired, nil, alice))
	if r.Allowed || !strings.Contains(r.Result.Message, "(suppression expired on 2020-01-01: loads a kernel module)") {
		t.Errorf("expired suppression: %+v", r)
	}

	// A suppression without a reason does not suppress, and the user is told.
	noReason := privilegedPod("e")
	noReason.Annotations = map[string]string{key: " "}
	r = w.review(t, request(t, admissionv1.Create, noReason, nil, alice))
	if r.Allowed || !warningsContain(r.Warnings, "annotation suppress.kubeward.dev/pss-privileged does not suppress: a suppression needs a reason") {
		t.Errorf("suppression without reason: %+v", r)
	}
	// ...and only about that object: the next review does not inherit it.
	for range 3 {
		if r := w.review(t, request(t, admissionv1.Create, privilegedPod("f"), nil, alice)); len(r.Warnings) != 0 {
			t.Errorf("a later review got the earlier object's problem: %q", r.Warnings)
		}
	}
}

func TestExemptions(t *testing.T) {
	pol, err := NewPolicy(config.Webhook{Exemptions: config.WebhookExemptions{
		Namespaces:      []string{"legacy"},
		Users:           []string{"break-glass"},
		Groups:          []string{"platform-admins"},
		ServiceAccounts: []string{"ci/deployer"},
	}}, "", "kubeward")
	if err != nil {
		t.Fatal(err)
	}
	w := newTestWebhook(t, pol, nil, nil)
	for _, tt := range []struct {
		ns   string
		user authnv1.UserInfo
		why  string
	}{
		{"kube-system", alice, "namespace kube-system"},
		{"kube-node-lease", alice, "namespace kube-node-lease"},
		{"kubeward", alice, "namespace kubeward"},
		{"legacy", alice, "namespace legacy"},
		{"shop", authnv1.UserInfo{Username: "break-glass"}, "user break-glass"},
		{"shop", authnv1.UserInfo{Username: "bob", Groups: []string{"platform-admins"}}, "group platform-admins"},
		{"shop", authnv1.UserInfo{Username: "system:serviceaccount:ci:deployer"}, "service account system:serviceaccount:ci:deployer"},
	} {
		p := privilegedPod("p")
		p.Namespace = tt.ns
		r := w.review(t, request(t, admissionv1.Create, p, nil, tt.user))
		if !r.Allowed || r.AuditAnnotations["decision"] != "exempt: "+tt.why {
			t.Errorf("%s/%s: %+v", tt.ns, tt.user.Username, r)
		}
	}
	// Other service accounts of the namespace are not exempt.
	r := w.review(t, request(t, admissionv1.Create, privilegedPod("p"), nil, authnv1.UserInfo{Username: "system:serviceaccount:ci:other"}))
	if r.Allowed {
		t.Errorf("ci/other is not exempt: %+v", r)
	}
	if got := value(w.Metrics.Decisions.WithLabelValues("exempt", "CREATE", "false")); got != 7 {
		t.Errorf("exempt decisions counted %v, want 7", got)
	}
}

func TestUpdateJudgedOnWhatItAdds(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	old := deployment("web", privilegedPod("x").Spec)
	scaled := old.DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](5)
	r := w.review(t, request(t, admissionv1.Update, scaled, old, alice))
	if !r.Allowed {
		t.Errorf("scaling a workload admitted before enforcement: %+v", r)
	}

	worse := deployment("web", hardenedSpec())
	oldOK := worse.DeepCopy()
	worse.Spec.Template.Spec.HostNetwork = true
	r = w.review(t, request(t, admissionv1.Update, worse, oldOK, alice))
	if r.Allowed || !strings.Contains(r.Result.Message, "pss-host-namespaces") {
		t.Errorf("an update that adds a problem: %+v", r)
	}

	// Removing the suppression makes the old finding new.
	sup := deployment("web", privilegedPod("x").Spec)
	sup.Spec.Template.Annotations = map[string]string{check.AnnotationPrefix + "pss-privileged": "needed"}
	unsup := sup.DeepCopy()
	unsup.Spec.Template.Annotations = nil
	r = w.review(t, request(t, admissionv1.Update, unsup, sup, alice))
	if r.Allowed {
		t.Errorf("removing a suppression: %+v", r)
	}

	// An ephemeral container added through the subresource is an update
	// of the Pod.
	pod := hardenedPod("web")
	debug := pod.DeepCopy()
	debug.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: goodImage, SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
	req := request(t, admissionv1.Update, debug, pod, alice)
	req.SubResource = "ephemeralcontainers"
	r = w.review(t, req)
	if r.Allowed || !strings.Contains(r.Result.Message, "at spec.ephemeralContainers[0].securityContext.privileged") {
		t.Errorf("privileged debug container: %+v", r)
	}
}

func TestControlledObjects(t *testing.T) {
	owned := func() *corev1.Pod {
		p := privilegedPod("web-abc12")
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f", UID: "u1", Controller: ptr.To(true)}}
		return p
	}
	rsController := authnv1.UserInfo{Username: "system:serviceaccount:kube-system:replicaset-controller"}
	kcm := authnv1.UserInfo{Username: ControllerManagerUser}
	w := newTestWebhook(t, nil, nil, nil)
	for _, u := range []authnv1.UserInfo{rsController, kcm} {
		r := w.review(t, request(t, admissionv1.Create, owned(), nil, u))
		if !r.Allowed || !strings.HasPrefix(r.AuditAnnotations["decision"], "owner: made by the controller of ReplicaSet/web-7d9f") {
			t.Errorf("%s: %+v", u.Username, r)
		}
	}
	// An owner reference written by a person proves nothing.
	if r := w.review(t, request(t, admissionv1.Create, owned(), nil, alice)); r.Allowed {
		t.Errorf("owner reference from alice: %+v", r)
	}
	// Nor does the wrong controller for the owner's kind.
	jobController := authnv1.UserInfo{Username: "system:serviceaccount:kube-system:job-controller"}
	if r := w.review(t, request(t, admissionv1.Create, owned(), nil, jobController)); r.Allowed {
		t.Errorf("job controller making a ReplicaSet's pod: %+v", r)
	}
	// ReplicaSets of Deployments are judged through the Deployment.
	rs := &appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-7d9f", Namespace: "shop", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "u0", Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: privilegedPod("x").Spec}}}
	if r := w.review(t, request(t, admissionv1.Create, rs, nil, authnv1.UserInfo{Username: "system:serviceaccount:kube-system:deployment-controller"})); !r.Allowed {
		t.Errorf("deployment controller's ReplicaSet: %+v", r)
	}

	// controlledObjects: enforce judges them again, to deny only.
	pol, err := NewPolicy(config.Webhook{ControlledObjects: "enforce"}, "", "kubeward")
	if err != nil {
		t.Fatal(err)
	}
	w = newTestWebhook(t, pol, nil, StaticNamespaces{"shop": {LabelEnforce: "critical", LabelWarn: "info", LabelAudit: "info"}})
	r := w.review(t, request(t, admissionv1.Create, owned(), nil, rsController))
	if r.Allowed || !strings.Contains(r.Result.Message, "pss-privileged") {
		t.Errorf("enforce on controlled pods: %+v", r)
	}
	weak := weakPod("web-abc13")
	weak.OwnerReferences = owned().OwnerReferences
	r = w.review(t, request(t, admissionv1.Create, weak, nil, rsController))
	if !r.Allowed || len(r.Warnings) != 0 || r.AuditAnnotations["findings"] != "" {
		t.Errorf("a controlled pod is warned and audited through its owner only: %+v", r)
	}
}

func TestDryRunJudgedTheSame(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	req := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	req.DryRun = ptr.To(true)
	r := w.review(t, req)
	if r.Allowed || r.AuditAnnotations["dry-run"] != "true" {
		t.Errorf("dry run: %+v", r)
	}
	if got := value(w.Metrics.Decisions.WithLabelValues("deny", "CREATE", "true")); got != 1 {
		t.Errorf("dry-run denials counted %v", got)
	}
}

func TestOperationsAndKindsNotJudged(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	del := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	del.Operation, del.Object = admissionv1.Delete, runtime.RawExtension{}
	if r := w.review(t, del); !r.Allowed {
		t.Errorf("delete: %+v", r)
	}
	// A kind without a Go type here (a custom resource) has no checks.
	req := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	req.Kind = metav1.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	req.Object = runtime.RawExtension{Raw: []byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}`)}
	if r := w.review(t, req); !r.Allowed {
		t.Errorf("custom resource: %+v", r)
	}
}

// TestBadInput sends what the API server never would: every answer is a
// clear error in an AdmissionReview, and nothing crashes.
func TestBadInput(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	good := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	withObject := func(raw string) []byte {
		r := *good
		r.Object = runtime.RawExtension{Raw: []byte(`"OBJECT"`)}
		b := reviewBody(t, &r)
		if raw == "" {
			return bytes.Replace(b, []byte(`"object":"OBJECT",`), nil, 1)
		}
		return bytes.Replace(b, []byte(`"OBJECT"`), []byte(raw), 1)
	}
	big := privilegedPod("p")
	big.Annotations = map[string]string{"blob": strings.Repeat("x", MaxObjectBytes+MaxObjectBytes/10)}
	for _, tt := range []struct {
		name string
		body []byte
		code int // HTTP status
		want string
	}{
		{"not JSON", []byte("{not json"), 400, "the body is not an AdmissionReview in JSON"},
		{"empty", nil, 400, "the body is not an AdmissionReview in JSON"},
		{"wrong version", bytes.Replace(reviewBody(t, good), []byte(`"admission.k8s.io/v1"`), []byte(`"admission.k8s.io/v1beta1"`), 1), 400,
			`want apiVersion admission.k8s.io/v1 and kind AdmissionReview, got "admission.k8s.io/v1beta1"`},
		{"wrong kind", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"1"}}`), 400, `got "admission.k8s.io/v1" and "Pod"`},
		{"no request", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 400, "has no request"},
		{"no uid", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`), 400, "has no uid"},
		{"case matters", bytes.Replace(reviewBody(t, good), []byte(`"request"`), []byte(`"Request"`), 1), 400, "has no request"},
		{"too large", reviewBody(t, request(t, admissionv1.Create, big, big, alice)), 413, "the review is over the 6.25 MiB limit"},
		{"object too large", withObject(string(mustJSON(t, big))), 200, "bytes, over the 3 MiB limit"},
		{"no object", withObject(""), 200, "the CREATE request has no object"},
		{"null object", withObject("null"), 200, "the CREATE request has no object"},
		{"object not an object", withObject(`"a string"`), 200, "the object does not decode as a v1 Pod"},
		{"object of another kind", withObject(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}`), 200,
			`the object is a "apps/v1" "Deployment", but the request says v1 Pod`},
		{"object without kind", withObject(`{"metadata":{"name":"x"}}`), 200, `the object is a "" "", but the request says v1 Pod`},
		{"wrong field type", withObject(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":"app"}}`), 200,
			"the object does not decode as a v1 Pod"},
		{"no kind in request", bytes.Replace(reviewBody(t, good), []byte(`"kind":{"group":"","version":"v1","kind":"Pod"},`), nil, 1), 200,
			"the request has no kind"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := w.post(t, tt.body)
			r := out.Response
			if code != tt.code || r.Allowed || r.Result == nil || !strings.Contains(r.Result.Message, tt.want) {
				t.Errorf("HTTP %d %+v\nwant HTTP %d and %q", code, r.Result, tt.code, tt.want)
			}
			if tt.code == 200 && r.UID != good.UID {
				t.Errorf("uid %q", r.UID)
			}
		})
	}

	// Not a POST, not JSON.
	for _, tt := range []struct {
		method, ctype string
		code          int
	}{{http.MethodGet, "application/json", 405}, {http.MethodPost, "text/plain", 415}, {http.MethodPost, "", 415}} {
		req := httptest.NewRequest(tt.method, "/validate", bytes.NewReader(reviewBody(t, good)))
		req.Header.Set("Content-Type", tt.ctype)
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Errorf("%s %q: HTTP %d, want %d", tt.method, tt.ctype, rec.Code, tt.code)
		}
	}
	if got := value(w.Metrics.Requests.WithLabelValues("400")); got < 7 {
		t.Errorf("400s counted: %v", got)
	}
}

// TestNoValuesInLogsOrAnswers: the log line names checks and fields, and
// nothing in the answer or the log carries a value of the object.
func TestNoValuesInLogsOrAnswers(t *testing.T) {
	const secret = "hunter2-Very-Secret-Value-7f3a9c"
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelWarn: "info", LabelAudit: "info"}})
	p := privilegedPod("p")
	p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: "DB_PASSWORD", Value: secret},
		corev1.EnvVar{Name: "AWS_SECRET_ACCESS_KEY", Value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
	p.Annotations = map[string]string{"note": secret}
	r := w.review(t, request(t, admissionv1.Create, p, nil, alice))
	answer := fmt.Sprintf("%+v", r)
	if !strings.Contains(answer, "env-literal-credential") {
		t.Fatalf("the credential check did not fire: %s", answer)
	}
	for _, where := range []string{answer, w.logs.String()} {
		if strings.Contains(where, secret) || strings.Contains(where, "wJalrXUtnFEMI") {
			t.Errorf("a value leaked:\n%s", where)
		}
	}
	if !strings.Contains(w.logs.String(), `"msg":"admission review"`) {
		t.Errorf("no log line: %s", w.logs.String())
	}
}

func TestLimitsOfWarnings(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelEnforce: "none", LabelWarn: "info"}})
	p := hardenedPod("p")
	for i := range 12 {
		c := corev1.Container{Name: fmt.Sprintf("c%d-%s", i, strings.Repeat("n", 40)), Image: "nginx"}
		p.Spec.Containers = append(p.Spec.Containers, c)
	}
	r := w.review(t, request(t, admissionv1.Create, p, nil, alice))
	if len(r.Warnings) != maxWarnings+1 || !strings.Contains(r.Warnings[maxWarnings], "more finding(s) at or above info") {
		t.Fatalf("%d warnings: %q", len(r.Warnings), r.Warnings)
	}
	for _, s := range r.Warnings {
		if len(s) > maxWarningLen {
			t.Errorf("warning of %d bytes: %q", len(s), s)
		}
	}
}

func TestNamespaceLookupFailureUsesDefaults(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	w.Namespaces = failingNamespaces{}
	r := w.review(t, request(t, admissionv1.Create, privilegedPod("p"), nil, alice))
	if r.Allowed {
		t.Errorf("defaults (enforce high) apply when labels cannot be read: %+v", r)
	}
	if !strings.Contains(w.logs.String(), "namespace labels unavailable") {
		t.Errorf("not logged: %s", w.logs.String())
	}
}

type failingNamespaces struct{}

func (failingNamespaces) Labels(context.Context, string) (map[string]string, error) {
	return nil, fmt.Errorf("connection refused")
}

func TestPolicyDefaultsFollowFailOn(t *testing.T) {
	pol, err := NewPolicy(config.Webhook{}, "medium", "")
	if err != nil {
		t.Fatal(err)
	}
	if pol.Defaults != (Levels{Enforce: check.Medium, Warn: check.Medium, Audit: check.Low}) {
		t.Errorf("defaults = %+v", pol.Defaults)
	}
	pol, err = NewPolicy(config.Webhook{Defaults: config.WebhookModes{Enforce: "none", Warn: "low", Audit: "none"},
		Labels: config.WebhookModes{Enforce: "example.com/gate"}}, "medium", "")
	if err != nil {
		t.Fatal(err)
	}
	lv, _ := pol.Levels(map[string]string{"example.com/gate": "CRITICAL", LabelEnforce: "info"})
	if lv != (Levels{Enforce: check.Critical, Warn: check.Low}) {
		t.Errorf("levels = %+v", lv)
	}
}

// TestCustomResources: a check on a kind without a Go type (custom checks
// in CEL on custom resources) sees the object as a map.
func TestCustomResources(t *testing.T) {
	widget := &check.Check{
		Meta: check.Meta{ID: "widget-public", Title: "Widget is public", Severity: check.High, Category: check.CategoryWorkload,
			Rationale: "test", Fix: "Set spec.public to false."},
		Kinds: []schema.GroupKind{{Group: "example.com", Kind: "Widget"}},
		Object: func(_ *check.Context, o *inventory.Object) []check.Result {
			if public, _, _ := unstructured.NestedBool(o.Raw.Object, "spec", "public"); public {
				return []check.Result{{Path: fieldpath.New("spec", "public"), Message: "the widget is public"}}
			}
			return nil
		},
	}
	w := newTestWebhook(t, nil, nil, nil)
	w.Eval = NewEvaluator(append(check.Defaults(), widget), check.DefaultOptions(), nil)
	req := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	req.Kind = metav1.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	req.Object = runtime.RawExtension{Raw: []byte(`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"public":true}}`)}
	r := w.review(t, req)
	if r.Allowed || !strings.Contains(r.Result.Message, "Widget/shop/w violates 1 check(s)") || !strings.Contains(r.Result.Message, "widget-public (high) at spec.public") {
		t.Errorf("custom resource: %+v", r.Result)
	}
	req.Kind.Kind = "Gadget" // nothing reads it
	req.Object = runtime.RawExtension{Raw: []byte(`{"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g"}}`)}
	if r := w.review(t, req); !r.Allowed || r.AuditAnnotations["decision"] != "allow: no check reads example.com/v1 Gadget" {
		t.Errorf("unread kind: %+v", r)
	}
}

// TestDecodeErrorsQuoteNoValue: a review whose object does not decode is
// refused without quoting the object's bytes back, in the answer or the log.
// clockFields are the JSON log's time and duration fields.
var clockFields = regexp.MustCompile(`"(time|durationMs)":("[^"]*"|[0-9.e+-]+),?`)

func TestDecodeErrorsQuoteNoValue(t *testing.T) {
	const secret = "hunter2-Very-Secret-Value-7f3a9c"
	w := newTestWebhook(t, nil, nil, nil)
	good := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	for _, obj := range []string{
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"env":[{"name":"PASSWORD","value":"` + secret + `"}],"ports":"` + secret + `"}]}}`,
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"env":[{"name":"PASSWORD","value":"` + secret + `" x}]}]}}`,
		// A type's own decoder quotes what it cannot parse.
		`{"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"` + secret + `"}}`,
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"livenessProbe":{"httpGet":{"port":7f3a9c}}}]}}`,
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"livenessProbe":{"httpGet":{"port":12345.7}}}]}}`,
	} {
		r := *good
		r.Object = runtime.RawExtension{Raw: []byte(`"OBJECT"`)}
		body := bytes.Replace(reviewBody(t, &r), []byte(`"OBJECT"`), []byte(obj), 1)
		code, out := w.post(t, body)
		if out.Response.Allowed || out.Response.Result == nil || !strings.Contains(out.Response.Result.Message, "kubeward: ") {
			t.Errorf("HTTP %d %+v", code, out.Response)
		}
		// Not even a part of it: decoders quote a few bytes around the error.
		// The log's clock readings are left out: a time's nanoseconds or a
		// duration may hold "12345" by chance.
		logs := clockFields.ReplaceAllString(w.logs.String(), "")
		for _, part := range []string{"hunter2", "Secret-Value", "7f3a9c", "12345"} {
			if strings.Contains(out.Response.Result.Message, part) || strings.Contains(logs, part) {
				t.Errorf("a part of the value came back:\n%s\n%s", out.Response.Result.Message, logs)
			}
		}
	}
}

// Reviews shaped as the API server writes them (kind before the objects,
// a null oldObject on creation) are typed in one pass; the general path is
// for the unusual.
func TestAPIServerReviewsAreReadInOnePass(t *testing.T) {
	for _, req := range []*admissionv1.AdmissionRequest{
		request(t, admissionv1.Create, typicalPod(), nil, alice),
		request(t, admissionv1.Update, privilegedPod("p"), hardenedPod("p"), alice),
		request(t, admissionv1.Create, deployment("web", hardenedSpec()), nil, alice),
	} {
		d, ok := decodeReviewOnePass(reviewBody(t, req))
		if !ok || d.object == nil || (req.Operation == admissionv1.Update) != (d.oldObject != nil) {
			t.Errorf("%s %s: one pass %v, object %v, old object %v", req.Operation, req.Kind.Kind, ok, d != nil && d.object != nil, d != nil && d.oldObject != nil)
		}
	}
}

// scanJSON agrees with a byte-by-byte look for every byte value at every
// offset of a word, and on each side of the word loop's tail.
func TestScanJSON(t *testing.T) {
	naive := func(data []byte) (control, backslash bool) {
		for _, c := range data {
			control = control || c < 0x20
			backslash = backslash || c == '\\'
		}
		return control, backslash
	}
	check := func(data []byte) {
		c, b := scanJSON(data)
		if wc, wb := naive(data); c != wc || b != wb {
			t.Fatalf("scanJSON(%q) = %v, %v, want %v, %v", data, c, b, wc, wb)
		}
	}
	for n := range 20 {
		for at := range n {
			for c := range 256 {
				data := bytes.Repeat([]byte{'a'}, n)
				data[at] = byte(c)
				check(data)
				// Bytes around it that carry or borrow in word arithmetic.
				for _, fill := range []byte{0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xff} {
					for i := range data {
						if i != at {
							data[i] = fill
						}
					}
					check(data)
				}
			}
		}
	}
	if c, b := scanJSON(reviewBody(t, request(t, admissionv1.Create, typicalPod(), nil, alice))); c || b {
		t.Error("a review as the API server writes it holds a control byte or a backslash")
	}
}

// The per-review log line and the answer's bytes keep their exact form:
// the line's keys, their order and their JSON types (lists stay lists when
// empty), and the answer as json.Marshal writes it, without a newline.
func TestReviewLogLineAndAnswerForm(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "info", LabelAudit: "info"}})
	wantKeys := []string{"time", "level", "msg", "uid", "kind", "namespace", "name", "operation", "user", "dryRun", "decision", "durationMs"}
	for _, c := range []struct {
		req  *admissionv1.AdmissionRequest
		line string // after durationMs
	}{
		{request(t, admissionv1.Create, privilegedPod("p"), nil, alice), ""},
		{func() *admissionv1.AdmissionRequest {
			r := request(t, admissionv1.Create, hardenedPod("h"), nil, alice)
			r.Namespace, r.Object.Raw = "kube-system", bytes.Replace(r.Object.Raw, []byte(`"shop"`), []byte(`"kube-system"`), 1)
			r.DryRun = ptr.To(true)
			return r
		}(), `"why":"namespace kube-system","denied":[],"warned":[],"audited":[],"suppressed":0}`},
	} {
		w.logs.Reset()
		rec := w.send(reviewBody(t, c.req))
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(&out); !bytes.Equal(again, rec.Body.Bytes()) || rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("answer not as json.Marshal writes it (Content-Length %s):\n%s\n%s", rec.Header().Get("Content-Length"), rec.Body.Bytes(), again)
		}
		line := strings.TrimSuffix(w.logs.String(), "\n")
		dec := json.NewDecoder(strings.NewReader(line))
		var keys []string
		types := map[string]string{}
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for dec.More() {
			k, _ := dec.Token()
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			types[k.(string)] = string(v[:1])
		}
		want := slices.Clone(wantKeys)
		if c.line == "" {
			want = append(want, "denied", "warned", "audited", "suppressed")
		} else {
			want = append(want, "why", "denied", "warned", "audited", "suppressed")
			if _, after, _ := strings.Cut(line, `"durationMs":`); !strings.HasSuffix(after, ","+c.line) || strings.Count(after, ",") != strings.Count(c.line, ",")+1 {
				t.Errorf("line ends %s, want %s", after, c.line)
			}
		}
		if !slices.Equal(keys, want) {
			t.Errorf("keys %q, want %q:\n%s", keys, want, line)
		}
		// The first byte of each value: a string, a bool, a number, a list.
		for k, first := range map[string]string{"uid": `"`, "kind": `"`, "dryRun": "ft", "durationMs": "0123456789",
			"denied": "[", "warned": "[", "audited": "[", "suppressed": "0123456789"} {
			if len(types[k]) != 1 || !strings.Contains(first, types[k]) {
				t.Errorf("%s starts with %q, want one of %q: %s", k, types[k], first, line)
			}
		}
		if !strings.Contains(line, `"kind":"v1/Pod"`) || !strings.Contains(line, `"level":"INFO","msg":"admission review"`) {
			t.Errorf("line: %s", line)
		}
	}
}
