package mesh

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestCorpus runs the service-mesh checks over the real-world corpus; see checktest.Corpus.
func TestCorpus(t *testing.T) { checktest.Corpus(t, nil, check.All()...) }
