package cli

import (
	"github.com/kubeward/kubeward/internal/checks/apiversion"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/helm"
	"github.com/kubeward/kubeward/internal/source/kustomize"
)

// renderers returns the Helm and Kustomize renderers configured by flags.
// Helm comes first: it wins for a directory holding both a Chart.yaml and
// a kustomization. Charts render for the Kubernetes release the scan
// judges API versions for ("" is kubeward's own), so that they pick the API
// versions they would pick on that cluster.
func renderers(f *scanFlags, kubeVersion string) ([]source.Renderer, error) {
	if kubeVersion == "" {
		kubeVersion = apiversion.LibraryVersion()
	}
	h, err := helm.New(helm.Options{ValuesFiles: f.helmValues, Set: f.helmSet, SetString: f.helmSetString, KubeVersion: kubeVersion})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return []source.Renderer{h, kustomize.New()}, nil
}
