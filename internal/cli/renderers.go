package cli

import (
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/helm"
	"github.com/kubeward/kubeward/internal/source/kustomize"
)

// renderers returns the Helm and Kustomize renderers configured by flags.
// Helm comes first: it wins for a directory holding both a Chart.yaml and
// a kustomization.
func renderers(f *scanFlags) ([]source.Renderer, error) {
	h, err := helm.New(helm.Options{ValuesFiles: f.helmValues, Set: f.helmSet, SetString: f.helmSetString})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return []source.Renderer{h, kustomize.New()}, nil
}
