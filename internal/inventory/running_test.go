package inventory

import (
	"reflect"
	"strings"
	"testing"

	"github.com/distribution/reference"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// TestRunningImages: live pods lend the digests they run to the
// controller that stands for them (Pod, ReplicaSet, Deployment), under
// the spec's repository; local image IDs and foreign containers are left out.
func TestRunningImages(t *testing.T) {
	spec := corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
		Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/acme/web:1.0"}}}
	inv := NewInventory()
	deploy := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
	rs := &appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop"}, Spec: appsv1.ReplicaSetSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
	pod := func(name string, statuses ...corev1.ContainerStatus) *corev1.Pod {
		return &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: spec, Status: corev1.PodStatus{ContainerStatuses: statuses,
				InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", ImageID: "docker.io/library/busybox@" + digestA}}}}
	}
	objs := map[string]*Object{}
	for _, typed := range []struct {
		name string
		obj  runtime.Object
	}{
		{"deploy", deploy}, {"rs", rs},
		{"p1", pod("web-1-a", corev1.ContainerStatus{Name: "web", ImageID: "docker-pullable://ghcr.io/acme/web@" + digestA})},
		{"p2", pod("web-1-b", corev1.ContainerStatus{Name: "web", ImageID: "ghcr.io/acme/web@" + digestB}, corev1.ContainerStatus{Name: "gone", ImageID: "x@" + digestB})},
		{"p3", pod("web-1-c", corev1.ContainerStatus{Name: "web", ImageID: "docker://" + digestA})},
		{"bare", pod("bare", corev1.ContainerStatus{Name: "web", ImageID: "ghcr.io/acme/web@" + digestB})},
	} {
		o, err := New(typed.obj, Source{Cluster: "test"})
		if err != nil {
			t.Fatal(err)
		}
		objs[typed.name] = o
		inv.Add(o)
	}
	rsRef, deployRef := objs["rs"].Ref, objs["deploy"].Ref
	objs["rs"].Controller = &deployRef
	for _, p := range []string{"p1", "p2", "p3"} {
		objs[p].Controller = &rsRef
	}
	got := inv.RunningImages()
	want := map[RunningKey][]string{
		{objs["deploy"], "init"}: {"docker.io/library/busybox@" + digestA},
		{objs["deploy"], "web"}:  {"ghcr.io/acme/web@" + digestA, "ghcr.io/acme/web@" + digestB},
		{objs["bare"], "init"}:   {"docker.io/library/busybox@" + digestA},
		{objs["bare"], "web"}:    {"ghcr.io/acme/web@" + digestB},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("running images:\n got %v\nwant %v", got, want)
	}
}

// FuzzRunningRef: whatever a runtime reports as an image ID, the running
// reference is either refused or a canonical repository@digest under the
// spec image's repository.
func FuzzRunningRef(f *testing.F) {
	f.Add("nginx:1.27", "docker-pullable://nginx@"+digestA)
	f.Add("ghcr.io/acme/web@"+digestB, "ghcr.io/acme/web@"+digestA)
	f.Add("registry:5000/a/b:c", "docker://"+digestA)
	f.Add("busybox", "sha256:@@"+digestA)
	f.Fuzz(func(t *testing.T, spec, imageID string) {
		ref, ok := runningRef(spec, imageID)
		if !ok {
			return
		}
		named, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			t.Fatalf("%q, %q: %q does not parse: %v", spec, imageID, ref, err)
		}
		c, isCanonical := named.(reference.Canonical)
		want, _ := reference.ParseNormalizedNamed(spec)
		if !isCanonical || reference.TrimNamed(named).String() != reference.TrimNamed(want).String() || !strings.HasSuffix(imageID, c.Digest().String()) {
			t.Fatalf("%q, %q: %q", spec, imageID, ref)
		}
	})
}
