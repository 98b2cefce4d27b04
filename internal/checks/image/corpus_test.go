package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// corpusAllowlist is a plausible allowlist, so that the registry check runs
// over the corpus too.
var corpusAllowlist = []string{"registry.k8s.io", "quay.io", "ghcr.io", "docker.io/library", "gcr.io", "*.pkg.dev"}

func corpusOptions() *check.Options {
	opts := check.DefaultOptions()
	opts.AllowedRegistries = corpusAllowlist
	return opts
}

// TestCorpus runs this package's checks over real manifests; see checktest.Corpus.
func TestCorpus(t *testing.T) { checktest.Corpus(t, corpusOptions(), check.All()...) }

func BenchmarkCorpus(b *testing.B) {
	for b.Loop() {
		checktest.Corpus(b, corpusOptions(), check.All()...)
	}
}
