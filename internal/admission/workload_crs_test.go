package admission

import (
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestWorkloadCustomResources: a webhook rule that sends Argo Rollouts has
// their pod template judged by the pod checks, as a Deployment's; the pods
// the controller creates are reviewed as Pods anyway.
func TestWorkloadCustomResources(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	req := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
	req.Kind = metav1.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}
	req.Object = runtime.RawExtension{Raw: []byte(`{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"web"},
"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
"spec":{"containers":[{"name":"web","image":"nginx:1.27","securityContext":{"privileged":true}}]}}}}`)}
	r := w.review(t, req)
	if r.Allowed || !strings.Contains(r.Result.Message, "Rollout/shop/web") ||
		!strings.Contains(r.Result.Message, "pss-privileged (critical) at spec.template.spec.containers[0].securityContext.privileged") {
		t.Errorf("privileged Rollout: %+v", r.Result)
	}
	// A template that does not convert is refused, not passed.
	req.Object = runtime.RawExtension{Raw: []byte(`{"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"bad"},
"spec":{"template":{"spec":{"containers":"web"}}}}`)}
	if r := w.review(t, req); r.Allowed || r.Result == nil || !strings.Contains(r.Result.Message, "Rollout/shop/bad: the pod template does not decode") {
		t.Errorf("a Rollout whose template does not convert: %+v", r)
	}
}

// TestWorkloadCustomResourcesInline: a Knative Revision holds its PodSpec
// at spec (RevisionSpec inlines it) and an OpenKruise AdvancedCronJob its
// BroadcastJob's template under spec.template.broadcastJobTemplate: each
// is judged at its real path.
func TestWorkloadCustomResourcesInline(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	for _, tt := range []struct {
		kind metav1.GroupVersionKind
		obj  string
		want string
	}{
		{
			metav1.GroupVersionKind{Group: "serving.knative.dev", Version: "v1", Kind: "Revision"},
			`{"apiVersion":"serving.knative.dev/v1","kind":"Revision","metadata":{"name":"hello-00001"},
"spec":{"containerConcurrency":0,"timeoutSeconds":300,"containers":[{"image":"ghcr.io/knative/helloworld-go:latest","securityContext":{"privileged":true}}]}}`,
			"pss-privileged (critical) at spec.containers[0].securityContext.privileged: violates PodSecurity \"baseline:latest\": privileged (container \"user-container\"",
		},
		{
			metav1.GroupVersionKind{Group: "apps.kruise.io", Version: "v1beta1", Kind: "AdvancedCronJob"},
			`{"apiVersion":"apps.kruise.io/v1beta1","kind":"AdvancedCronJob","metadata":{"name":"acj-test"},
"spec":{"schedule":"*/1 * * * *","template":{"broadcastJobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never",
"containers":[{"name":"pi","image":"perl","securityContext":{"privileged":true}}]}}}}}}}`,
			"pss-privileged (critical) at spec.template.broadcastJobTemplate.spec.template.spec.containers[0].securityContext.privileged",
		},
	} {
		req := request(t, admissionv1.Create, privilegedPod("p"), nil, alice)
		req.Kind = tt.kind
		req.Object = runtime.RawExtension{Raw: []byte(tt.obj)}
		if r := w.review(t, req); r.Allowed || !strings.Contains(r.Result.Message, tt.want) {
			t.Errorf("%s: %+v, want %q", tt.kind.Kind, r.Result, tt.want)
		}
	}
}
