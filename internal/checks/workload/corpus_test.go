package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestCorpus runs this package's checks (the only ones linked into its test
// binary) over real manifests; see checktest.Corpus.
func TestCorpus(t *testing.T) { checktest.Corpus(t, nil, check.All()...) }

func BenchmarkCorpus(b *testing.B) {
	for b.Loop() {
		checktest.Corpus(b, nil, check.All()...)
	}
}
