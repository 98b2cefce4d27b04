package apidefaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Of several global default PriorityClasses (the API server refuses a
// second one, but a race or a set of manifests can hold two), the Priority
// plugin takes the lowest value; a tie is broken by name, so the class a
// pod gets does not depend on map order.
func TestGlobalDefaultPriorityClass(t *testing.T) {
	classes := map[string]*schedulingv1.PriorityClass{}
	for name, v := range map[string]int32{"c-high": 100, "b-low": 10, "a-low": 10, "z-low": 10} {
		classes[name] = &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: v, GlobalDefault: true}
	}
	classes["lowest-not-default"] = &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "lowest-not-default"}, Value: 1}
	for range 50 {
		pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
		if err := Default(pod, "shop", true, Options{PriorityClasses: classes}); err != nil {
			t.Fatal(err)
		}
		if pod.Spec.PriorityClassName != "a-low" || pod.Spec.Priority == nil || *pod.Spec.Priority != 10 {
			t.Fatalf("got class %q priority %v, want a-low 10", pod.Spec.PriorityClassName, pod.Spec.Priority)
		}
	}
}
