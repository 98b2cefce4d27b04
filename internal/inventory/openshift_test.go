package inventory

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// annotated is a Deployment with the trigger annotation, an init container
// "setup" and containers "web" and "side", all with placeholders.
func annotated(t testing.TB, value string) *Pod {
	t.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "shop", Annotations: map[string]string{ImageTriggersAnnotation: value}}}
	d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
	d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "setup", Image: " "}}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: " "}, {Name: "side", Image: "side:1"}}
	o, err := New(d, Source{})
	if err != nil {
		t.Fatal(err)
	}
	return o.Pods()[0]
}

// pending lists the containers a trigger will write, as name=trigger.
func pending(p *Pod) string {
	var out []string
	for _, c := range p.Containers() {
		if tr := p.PendingImageTrigger(c.Container); tr != nil {
			out = append(out, c.Name+"="+tr.String())
		}
	}
	return strings.Join(out, " ")
}

// TestAnnotationTriggers follows library-go's reading of the annotation
// (pkg/image/trigger annotations.go and its tests): a selector by name or
// index, init containers, paused triggers, and what makes the controller
// give up on the whole annotation.
func TestAnnotationTriggers(t *testing.T) {
	const web = `"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"`
	for _, tc := range []struct {
		name, value, want, problem string
	}{
		{"by name", `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},` + web + `}]`, "web=ImageStreamTag shop/web:latest", ""},
		{"other namespace, keys in any case", `[{"From":{"Kind":"ImageStreamTag","Name":"web:1","Namespace":"ci"},"FIELDPATH":"spec.template.spec.containers[0].image"}]`, "web=ImageStreamTag ci/web:1", ""},
		{"init container by name", `[{"from":{"kind":"ImageStreamTag","name":"s:1"},"fieldPath":"spec.template.spec.initContainers[?(@.name==\"setup\")].image"}]`, "setup=ImageStreamTag shop/s:1", ""},
		{"paused", `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},` + web + `,"paused":true}]`, "", ""},
		{"paused as a string", `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},` + web + `,"paused":"false"}]`, "", "cannot read"},
		{"not JSON", `web:latest`, "", "cannot read"},
		{"duplicate field", `[{"from":{"kind":"ImageStreamTag","name":"a:1"},` + web + `},{"from":{"kind":"ImageStreamTag","name":"b:1"},` + web + `}]`, "", "two image triggers"},
		{"no such container", `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},` + web + `},{"from":{"kind":"ImageStreamTag","name":"x:1"},"fieldPath":"spec.template.spec.containers[?(@.name==\"nope\")].image"}]`, "", "names no container"},
		{"index out of range", `[{"from":{"kind":"ImageStreamTag","name":"x:1"},"fieldPath":"spec.template.spec.containers[2].image"}]`, "", "names no container"},
		{"not the image", `[{"from":{"kind":"ImageStreamTag","name":"x:1"},"fieldPath":"spec.template.spec.containers[0]"}]`, "", "names no container"},
		{"outside the template: skipped", `[{"from":{"kind":"ImageStreamTag","name":"web:latest"},` + web + `},{"from":{"kind":"ImageStreamTag","name":"x:1"},"fieldPath":"spec.containers[0].image"}]`, "web=ImageStreamTag shop/web:latest", "not in the pod template"},
		{"not an ImageStreamTag", `[{"from":{"kind":"DockerImage","name":"nginx:1"},` + web + `}]`, "", "not from a named ImageStreamTag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := annotated(t, tc.value)
			if got := pending(p); got != tc.want {
				t.Errorf("pending %q, want %q", got, tc.want)
			}
			probs := ImageTriggerProblems(p.Object)
			switch {
			case tc.problem == "" && len(probs) > 0:
				t.Errorf("problems %+v", probs)
			case tc.problem != "" && (len(probs) != 1 || !strings.Contains(probs[0].Message, tc.problem) || probs[0].Path.String() != "metadata.annotations[image.openshift.io/triggers]"):
				t.Errorf("problems %+v, want one with %q", probs, tc.problem)
			}
		})
	}
}

// TestDeploymentConfigTriggers: the containers an ImageChange trigger
// names, init containers too; a DeploymentConfig read from a cluster,
// whose template holds the digest OpenShift wrote, has none pending.
func TestDeploymentConfigTriggers(t *testing.T) {
	dc := schema.GroupKind{Group: "apps.openshift.io", Kind: "DeploymentConfig"}
	tmpl := map[string]any{"spec": map[string]any{
		"initContainers": []any{map[string]any{"name": "setup", "image": ""}},
		"containers":     []any{map[string]any{"name": "web", "image": " "}, map[string]any{"name": "side", "image": "side:1"}},
	}}
	trigger := func(automatic bool, last string) map[string]any {
		return map[string]any{"type": "ImageChange", "imageChangeParams": map[string]any{"automatic": automatic, "lastTriggeredImage": last,
			"containerNames": []any{"web", "setup"}, "from": map[string]any{"kind": "ImageStreamTag", "name": "web:latest"}}}
	}
	for _, tc := range []struct {
		name     string
		triggers []any
		want     string
	}{
		{"automatic", []any{map[string]any{"type": "ConfigChange"}, trigger(true, "")}, "setup=ImageStreamTag shop/web:latest web=ImageStreamTag shop/web:latest"},
		{"manual, never resolved", []any{trigger(false, "")}, "setup=ImageStreamTag shop/web:latest web=ImageStreamTag shop/web:latest"},
		{"manual, resolved before", []any{trigger(false, "reg/web@sha256:"+strings.Repeat("a", 64))}, ""},
		{"config change only", []any{map[string]any{"type": "ConfigChange"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewLive(live(dc, "v1", []string{"spec", "template"}, tmpl, map[string]any{"triggers": tc.triggers}), Source{})
			if err != nil {
				t.Fatal(err)
			}
			if got := pending(o.Pods()[0]); got != tc.want {
				t.Errorf("pending %q, want %q", got, tc.want)
			}
		})
	}
	digest := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "image-registry.openshift-image-registry.svc:5000/shop/web@sha256:" + strings.Repeat("b", 64)}}}}
	o, err := NewLive(live(dc, "v1", []string{"spec", "template"}, digest, map[string]any{"triggers": []any{trigger(true, "x")}}), Source{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pending(o.Pods()[0]); got != "" {
		t.Errorf("a written digest is judged, not pending: %q", got)
	}
}

// FuzzImageTriggersAnnotation: any annotation value is read without a
// panic, and a trigger only ever owns a container of the pod.
func FuzzImageTriggersAnnotation(f *testing.F) {
	for _, s := range []string{
		`[{"from":{"kind":"ImageStreamTag","name":"web:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]`,
		`[{"from":{"kind":"ImageStreamTag","name":"s:1"},"fieldPath":"spec.template.spec.initContainers[0].image","paused":"false"}]`,
		`[{"fieldPath":"spec.template.spec.containers[-1].image"},{"fieldPath":"spec.template.spec.containers[99999999999999999999].image"}]`,
		`[{"fieldPath":"spec.template.spec.containers[?(@.name==\"\")].image"}]`, `{}`, `null`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p := annotated(t, v)
		_ = ImageTriggerProblems(p.Object)
		_ = pending(p)
	})
}
