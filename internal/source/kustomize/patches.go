package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/source"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// maxKustomizationBytes bounds the kustomization PatchFiles reads: one is
// a few hundred bytes; a larger file is not one kubeward trusts to say
// which files are patches.
const maxKustomizationBytes = 1 << 20

// PatchFiles finds the kustomization of dir and the files it applies as
// patches (the paths of patches, patchesStrategicMerge and
// patchesJson6902), cleaned and joined to dir. Such files hold fragments
// of objects, judged in the objects they patch when the overlay is
// rendered, never objects of their own. file is "" when dir has no
// kustomization.
func PatchFiles(dir string) (file string, patches []string, err error) {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err != nil || !info.Mode().IsRegular() {
			continue
		}
		data, err := source.ReadFile(p, maxKustomizationBytes)
		if err != nil {
			return p, nil, err
		}
		var k types.Kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			return p, nil, fmt.Errorf("%s: %w", p, err)
		}
		add := func(rel string) {
			if rel != "" && !strings.Contains(rel, "\n") {
				patches = append(patches, filepath.Join(dir, rel))
			}
		}
		for _, pt := range k.Patches {
			add(pt.Path)
		}
		for _, pt := range k.PatchesJson6902 {
			add(pt.Path)
		}
		// An entry is a path or an inline patch, which spans lines.
		for _, pt := range k.PatchesStrategicMerge {
			add(string(pt))
		}
		return p, patches, nil
	}
	return "", nil, nil
}
