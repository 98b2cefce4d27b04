package inventory

import (
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestContainers: init, regular and ephemeral containers in that order,
// with their paths; the list is built once, so later calls (the twenty
// checks of a review, concurrently on a large inventory) allocate nothing
// and see the same list.
func TestContainers(t *testing.T) {
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			InitContainers:      []corev1.Container{{Name: "init"}},
			Containers:          []corev1.Container{{Name: "web"}, {Name: "proxy"}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}},
		}}}}
	o, err := New(d, Source{})
	if err != nil {
		t.Fatal(err)
	}
	p := o.Pods()[0]
	want := []struct{ name, path, kind string }{
		{"init", "spec.template.spec.initContainers[0]", "initContainers"},
		{"web", "spec.template.spec.containers[0]", "containers"},
		{"proxy", "spec.template.spec.containers[1]", "containers"},
		{"debug", "spec.template.spec.ephemeralContainers[0]", "ephemeralContainers"},
	}
	var wg sync.WaitGroup
	lists := make([][]Container, 8)
	for i := range lists {
		wg.Go(func() { lists[i] = p.Containers() })
	}
	wg.Wait()
	for _, cs := range lists {
		if len(cs) != len(want) {
			t.Fatalf("got %d containers, want %d", len(cs), len(want))
		}
		for i, w := range want {
			if cs[i].Name != w.name || cs[i].Path.String() != w.path || cs[i].Kind != w.kind {
				t.Errorf("container %d: %s at %s (%s), want %s at %s (%s)", i, cs[i].Name, cs[i].Path, cs[i].Kind, w.name, w.path, w.kind)
			}
		}
		if &cs[0] != &lists[0][0] {
			t.Error("Containers built its list more than once")
		}
	}
	if &p.Containers()[1].Container.Name != &d.Spec.Template.Spec.Containers[0].Name {
		t.Error("a regular container is a copy, not the spec's own")
	}
	if n := testing.AllocsPerRun(100, func() { p.Containers() }); n != 0 {
		t.Errorf("Containers allocates %v times per call once built, want 0", n)
	}
	// An append must not write into the shared list.
	cs := p.Containers()
	_ = append(cs, Container{Kind: "extra"})
	if got := p.Containers(); len(got) != len(want) || cap(got) != len(want) {
		t.Errorf("after an append: len %d cap %d, want %d", len(got), cap(got), len(want))
	}
}
