package loader

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
)

// TestKustomizePatchFilesAreNotObjects: files that a kustomization lists
// as patches (patches, patchesStrategicMerge, patchesJson6902 paths) are
// fragments, judged in the objects they patch when the overlay renders.
// Read as files (a directory below the overlay named alone, or the files
// named one by one) they are skipped with the kustomization that lists
// them, never judged as objects; the overlay's resources still are.
func TestKustomizePatchFilesAreNotObjects(t *testing.T) {
	root := filepath.Join("testdata", "kustomize-patches")
	overlay, parts := filepath.Join(root, "overlay"), filepath.Join(root, "overlay", "parts")
	const listedIn = "a Kustomize patch listed in testdata/kustomize-patches/overlay/kustomization.yaml"
	skipped := func(log *diag.Log) []string {
		var out []string
		for _, s := range log.Skipped() {
			if !strings.Contains(s.Reason, listedIn) {
				t.Errorf("%s skipped: %s", s.Path, s.Reason)
			}
			out = append(out, s.Path)
		}
		return out
	}

	// The fixture is a real overlay: rendered, its patches apply.
	got, log, err := load(t, Default(), overlay)
	if err != nil || len(log.Problems()) != 0 || len(got) != 3 {
		t.Fatalf("rendering the overlay: objects %v, problems %v, err %v", got, log.Problems(), err)
	}

	// A directory below the overlay: its resource is read, its patches not.
	got, log, err = load(t, Default(), parts)
	if err != nil || len(log.Problems()) != 0 {
		t.Fatalf("problems %v, err %v", log.Problems(), err)
	}
	if want := []string{"testdata/kustomize-patches/overlay/parts/service.yaml web"}; !slices.Equal(got, want) {
		t.Errorf("objects %q, want %q", got, want)
	}
	if s, want := skipped(log), []string{"testdata/kustomize-patches/overlay/parts/image.json", "testdata/kustomize-patches/overlay/parts/replicas.yaml"}; !slices.Equal(s, want) {
		t.Errorf("skipped %q, want %q", s, want)
	}

	// Named one by one: a patch named alone holds no object, which is an
	// input error that points at the reason it was skipped.
	named := []string{filepath.Join(root, "base", "deployment.yaml"), filepath.Join(overlay, "configmap.yaml"), filepath.Join(overlay, "memory.yaml")}
	got, log, err = load(t, Default(), named...)
	if want := []string{"testdata/kustomize-patches/base/deployment.yaml web", "testdata/kustomize-patches/overlay/configmap.yaml settings"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("objects %q (err %v), want %q", got, err, want)
	}
	if s := skipped(log); !slices.Equal(s, []string{"testdata/kustomize-patches/overlay/memory.yaml"}) {
		t.Errorf("skipped %q, want memory.yaml", s)
	}
	if ps := log.Problems(); len(ps) != 1 || ps[0].File != "testdata/kustomize-patches/overlay/memory.yaml" || !strings.Contains(ps[0].Message, "see the skipped inputs") {
		t.Errorf("problems %v, want one for memory.yaml named alone", ps)
	}
}
