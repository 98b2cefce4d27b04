package agenttest

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Pod creates a pod bound to node in the API server with one container per
// simulated container, and reports them running as the kubelet would:
// containerStatuses with containerd:// ids. The pod's UID must be the one
// the containers' cgroups were named after, so the containers are created
// after the pod: NewContainer(t, string(pod.UID)).
func Pod(t testing.TB, cs kubernetes.Interface, pod *corev1.Pod, node string, names ...string) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pod.Namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: pod.Namespace}}
	if _, err := cs.CoreV1().ServiceAccounts(pod.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	pod.Spec.NodeName = node
	f := false
	pod.Spec.AutomountServiceAccountToken = &f
	for _, n := range names {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: n, Image: "registry.example/" + n + ":1"})
	}
	created, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// Running reports the pod's containers running with the given ids (by
// container name), and the pod's IPs, as the kubelet does.
func Running(t testing.TB, cs kubernetes.Interface, pod *corev1.Pod, ids map[string]string, ips ...string) {
	t.Helper()
	ctx := context.Background()
	p, err := cs.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodRunning
	for i, ip := range ips {
		if i == 0 {
			p.Status.PodIP = ip
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		id, ok := ids[c.Name]
		if !ok {
			continue
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "registry.example/" + c.Name + "@sha256:" + id[:64],
			ContainerID: "containerd://" + id, Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		})
	}
	if _, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
