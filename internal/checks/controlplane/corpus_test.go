package controlplane

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestCorpus runs the control-plane checks over the shared corpus. It holds
// no control plane (no kube-apiserver, controller manager, scheduler or
// cluster etcd), but thousands of ordinary workloads, some running etcd or
// wrapping commands in shells: every finding would be a false positive.
func TestCorpus(t *testing.T) {
	res := checktest.Corpus(t, nil, check.All()...)
	for _, f := range res.Findings {
		t.Errorf("false positive: %s %s %s: %s", f.CheckID, f.Object, f.Path, f.Message)
	}
}

func BenchmarkCorpus(b *testing.B) {
	for b.Loop() {
		checktest.Corpus(b, nil, check.All()...)
	}
}
