package fix_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/fix"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	yaml "go.yaml.in/yaml/v3"
)

// FuzzPatch feeds the patcher arbitrary files and changes: it must not
// panic, must leave the file alone or write documents that still parse, and a
// second patch with the same changes must change nothing more.
func FuzzPatch(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.*")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0), uint8(0), uint8(0), "spec.template.spec", "Deployment", "web")
	}
	f.Add([]byte("kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    securityContext: {}\n"), uint8(0), uint8(0), uint8(1), "spec", "Pod", "p")
	f.Add([]byte("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, securityContext: {capabilities: {drop: []}}}]}\n"), uint8(0), uint8(0), uint8(1), "spec", "Pod", "p")
	f.Add([]byte("items:\n- kind: Pod\n  metadata: {name: p}\n  spec: {containers: [&a {name: c}]}\n"), uint8(0), uint8(1), uint8(0), "spec", "Pod", "p")
	f.Fuzz(func(t *testing.T, data []byte, doc, item, kind uint8, spec, objKind, name string) {
		if len(data) > 1<<16 {
			return
		}
		ref := inventory.Ref{Kind: objKind, Name: name}
		specPath := fieldpath.Parse(spec)
		changes := []fix.Change{
			{Kind: fix.Kind(kind % 3), Document: int(doc % 4), ListItem: int(item % 3), Object: ref, Path: specPath.Child("containers").Index(0)},
			{Kind: fix.Kind((kind + 1) % 3), Document: int(doc % 4), ListItem: int(item % 3), Object: ref, Path: specPath.Child("initContainers").Index(0)},
			{Kind: fix.SeccompRuntimeDefault, Document: int(doc % 4), ListItem: int(item % 3), Object: ref, Path: specPath},
		}
		out, _ := fix.Patch(data, changes)
		if bytes.Equal(out, data) {
			return
		}
		for _, d := range manifest.Documents(out) {
			var n yaml.Node
			if err := yaml.Unmarshal(out[d.Start:d.End], &n); err != nil && bytes.Contains(data, out[d.Start:d.End]) == false {
				t.Fatalf("a patched document does not parse: %v\n%s", err, out)
			}
		}
		if again, _ := fix.Patch(out, changes); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%s\n---\n%s", out, again)
		}
	})
}
