package admission

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/inventory"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// TestDefaultRulesWorkloadCustomResources: the default rules send every
// workload custom resource but Knative's Revision, in every version its
// project serves, and each is judged at the
// real path of each of its pod templates; a template of the wrong shape is
// refused as an object that does not decode is (a 400 in the answer, not a
// 500, no panic); an update that adds nothing is not blocked.
func TestDefaultRulesWorkloadCustomResources(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	sent := map[schema.GroupVersionResource]bool{}
	for _, r := range Rules() {
		for _, v := range r.APIVersions {
			for _, res := range r.Resources {
				sent[schema.GroupVersionResource{Group: r.APIGroups[0], Version: v, Resource: res}] = true
			}
		}
	}
	container := map[string]any{"name": "web", "image": "nginx:1.27", "securityContext": map[string]any{"privileged": true}}
	for _, cw := range inventory.CustomWorkloads() {
		for _, v := range cw.Versions {
			// A kind left out of the default rules (Knative's Revision) is
			// judged alike when a configuration of one's own sends it.
			gvk := cw.Kind.WithVersion(v)
			want := cw.Kind != schema.GroupKind{Group: "serving.knative.dev", Kind: "Revision"}
			if got := sent[gvk.GroupVersion().WithResource(cw.Resource)]; got != want {
				t.Errorf("%s %s: sent by the default rules %v, want %v", gvk, cw.Resource, got, want)
			}
			for _, at := range cw.Templates {
				var names []string
				for _, e := range at.Elems() {
					names = append(names, e.Name)
				}
				podSpec := map[string]any{"containers": []any{runtime.DeepCopyJSONValue(container)}}
				want := at.String() + ".spec.containers[0].securityContext.privileged"
				var template any = map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}}, "spec": podSpec}
				if cw.Inline {
					want, template = at.String()+".containers[0].securityContext.privileged", podSpec
				}
				object := func(name string, template any) *unstructured.Unstructured {
					u := &unstructured.Unstructured{Object: map[string]any{}}
					u.SetGroupVersionKind(gvk)
					u.SetName(name)
					u.SetNamespace("shop")
					if err := unstructured.SetNestedField(u.Object, runtime.DeepCopyJSONValue(template), names...); err != nil {
						t.Fatal(err)
					}
					return u
				}
				privileged := object("web", template)
				r := w.review(t, request(t, admissionv1.Create, privileged, nil, alice))
				if r.Allowed || !strings.Contains(r.Result.Message, cw.Kind.Kind+"/shop/web violates") ||
					!strings.Contains(r.Result.Message, "pss-privileged (critical) at "+want) {
					t.Errorf("%s at %s: %+v", gvk, at, r.Result)
				}

				// An update that changes something else keeps its findings.
				scaled := privileged.DeepCopy()
				scaled.SetLabels(map[string]string{"tier": "front"})
				if r := w.review(t, request(t, admissionv1.Update, scaled, privileged, alice)); !r.Allowed {
					t.Errorf("%s: relabelling refused: %+v", gvk, r.Result)
				}

				notPodSpec := map[string]any{"spec": map[string]any{"containers": "web"}}
				if cw.Inline {
					notPodSpec = map[string]any{"containers": "web"}
				}
				for _, bad := range []any{"web", int64(7), notPodSpec} {
					r := w.review(t, request(t, admissionv1.Create, object("bad", bad), nil, alice))
					if r.Allowed || r.Result == nil || r.Result.Code != http.StatusBadRequest ||
						!strings.Contains(r.Result.Message, cw.Kind.Kind+"/shop/bad: the pod template does not decode") {
						t.Errorf("%s with %v at %s: %+v", gvk, bad, at, r)
					}
				}
			}
			// A spec of the wrong type holds no template: refused alike.
			u := &unstructured.Unstructured{Object: map[string]any{"spec": "web"}}
			u.SetGroupVersionKind(gvk)
			u.SetName("bad")
			u.SetNamespace("shop")
			if r := w.review(t, request(t, admissionv1.Create, u, nil, alice)); r.Allowed || r.Result == nil || r.Result.Code != http.StatusBadRequest {
				t.Errorf("%s with spec a string: %+v", gvk, r)
			}
		}
	}
}
