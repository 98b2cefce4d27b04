package cli

import "github.com/kubeward/kubeward/internal/source"

// renderers returns the Helm and Kustomize renderers configured by flags.
func renderers(f *scanFlags) []source.Renderer {
	return nil
}
