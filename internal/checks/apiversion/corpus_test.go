package apiversion

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestCorpus runs the API version checks over the real-world corpus; see checktest.Corpus.
func TestCorpus(t *testing.T) { checktest.Corpus(t, nil, check.All()...) }
