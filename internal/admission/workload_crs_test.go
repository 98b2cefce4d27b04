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
