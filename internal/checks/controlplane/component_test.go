package controlplane

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMayRun: the answer memoised per object for all components (most
// objects run none) is, for every component, what a look at each
// container's command line for that component gives, whichever component
// is asked first.
func TestMayRun(t *testing.T) {
	containers := map[string][]corev1.Container{
		"app":              {{Name: "app", Args: []string{"proxy", "--config", "/etc/proxy.yaml"}}},
		"no command":       {{Name: "app"}},
		"apiserver":        {{Name: "a", Command: []string{"kube-apiserver", "--profiling=false"}}},
		"args only":        {{Name: "a", Command: []string{"/bin/sh", "-c"}, Args: []string{"exec /usr/local/bin/kube-scheduler --v=2"}}},
		"variable":         {{Name: "a", Command: []string{"$(BINARY)"}}},
		"etcd in init":     {{Name: "a", Args: []string{"serve"}}},
		"kubelet in args":  {{Name: "a", Args: []string{"/usr/bin/kubelet"}}},
		"proxy and others": {{Name: "a"}, {Name: "b", Command: []string{"kube-proxy", "--config=/c"}}},
	}
	for name, cs := range containers {
		spec := corev1.PodSpec{Containers: cs}
		if name == "etcd in init" {
			spec.InitContainers = []corev1.Container{{Name: "i", Command: []string{"etcd", "--data-dir=/d"}}}
		}
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "kube-system"}, Spec: spec}
		for first := range componentflags.All() {
			o, err := inventory.New(pod, inventory.Source{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := check.NewContext(nil)
			all := componentflags.All()
			for i := range all {
				comp := all[(first+i)%len(all)]
				want := anyContainer(o, func(c *corev1.Container) bool { return mayRunIn(c, comp) })
				if got := mayRun(ctx, o, comp); got != want {
					t.Errorf("%s: mayRun(%s) = %v, want %v", name, comp.Name, got, want)
				}
			}
		}
	}
}
