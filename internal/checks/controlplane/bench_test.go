package controlplane

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/scan"
)

// BenchmarkStaticPods is the object and pod checks of every registered
// check on a kubeadm control plane's four static pods, each with a fresh
// context as the webhook gives every review: the cost of reading the
// components' command lines.
func BenchmarkStaticPods(b *testing.B) {
	yaml := staticPod("kube-apiserver", "kube-apiserver", hardenedAPIServer) + "---\n" +
		staticPod("kube-controller-manager", "kube-controller-manager", hardenedKCM) + "---\n" +
		staticPod("kube-scheduler", "kube-scheduler", []string{"--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--profiling=false"}) + "---\n" +
		staticPod("etcd", "etcd", hardenedEtcd)
	_, inv := checktest.RunResult(b, yaml, nil, check.All()...)
	e := scan.New(scan.Options{Checks: check.All()})
	objs := inv.All()
	if len(objs) != 4 {
		b.Fatalf("%d objects", len(objs))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			e.Runner.CheckObject(check.NewContext(nil), o)
		}
	}
}
