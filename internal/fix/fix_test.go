package fix_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/fix"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	sigsyaml "sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// plan scans path with the fixed checks through the loader and the engine,
// as the command does.
func plan(t *testing.T, path string) ([]check.Finding, map[string][]fix.Change, []fix.Refusal) {
	t.Helper()
	checks, err := check.Select(check.All(), fix.Checks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := scan.New(scan.Options{Checks: checks})
	res, inv, err := e.Files(loader.Default(), []string{path})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %v", p)
	}
	p, refused := fix.Plan(res.Findings, fix.Own(inv))
	return res.Findings, p, refused
}

// fixFile fixes one file and returns its new text.
func fixFile(t *testing.T, path string) []byte {
	t.Helper()
	_, p, refused := plan(t, path)
	if len(refused) > 0 {
		t.Fatalf("refused: %v", refused)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) > 1 {
		t.Fatalf("plan names %d files for one", len(p))
	}
	for _, cs := range p {
		out, results := fix.Patch(data, cs)
		for _, r := range results {
			if r.Err != nil {
				t.Errorf("%v: %v", r.Change, r.Err)
			}
		}
		// Idempotent: the same changes again write nothing more.
		if again, _ := fix.Patch(out, cs); !bytes.Equal(again, out) {
			t.Errorf("a second patch changed the file again:\n%s", again)
		}
		return out
	}
	return data
}

// stripFixes removes what a fix may write from a decoded document, so that
// the original and the fixed file compare equal when nothing else moved.
func stripFixes(v any) {
	switch v := v.(type) {
	case map[string]any:
		if sc, ok := v["securityContext"].(map[string]any); ok {
			delete(sc, "allowPrivilegeEscalation")
			if sp, ok := sc["seccompProfile"].(map[string]any); ok && sp["type"] == "RuntimeDefault" && len(sp) == 1 {
				delete(sc, "seccompProfile")
			}
			if caps, ok := sc["capabilities"].(map[string]any); ok {
				drop, _ := caps["drop"].([]any)
				drop = slices.DeleteFunc(drop, func(d any) bool { return d == "ALL" })
				caps["drop"] = drop
				if len(drop) == 0 {
					delete(caps, "drop")
				}
				if len(caps) == 0 {
					delete(sc, "capabilities")
				}
			}
			if len(sc) == 0 {
				delete(v, "securityContext")
			}
		}
		for _, x := range v {
			stripFixes(x)
		}
	case []any:
		for _, x := range v {
			stripFixes(x)
		}
	}
}

func decodeDocs(t *testing.T, data []byte) []any {
	t.Helper()
	var out []any
	for _, d := range manifest.Documents(data) {
		var v any
		if err := sigsyaml.Unmarshal(data[d.Start:d.End], &v); err != nil {
			t.Fatalf("document at line %d: %v", d.Line, err)
		}
		out = append(out, v)
	}
	return out
}

// TestFixFiles fixes every workload kind, containers and initContainers,
// block and flow YAML, JSON, Lists and multi-document files, and checks
// that the fixed file scans clean, decodes to the same objects apart from
// the fixes, keeps every other byte (the golden file), and needs no second
// run.
func TestFixFiles(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.yaml")
	json, _ := filepath.Glob("testdata/*.json")
	inputs = append(inputs, json...)
	if len(inputs) < 3 {
		t.Fatalf("inputs: %v", inputs)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			before, _, _ := plan(t, in)
			if len(before) == 0 {
				t.Fatal("the input has no finding to fix: the test proves nothing")
			}
			old, _ := os.ReadFile(in)
			out := fixFile(t, in)
			golden := filepath.Join("testdata", "golden", filepath.Base(in))
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				d, _ := fix.Diff(in, want, out)
				t.Errorf("fixed file differs from %s:\n%s", golden, d)
			}
			// Nothing of the original is deleted or moved: it is a
			// subsequence of the output, but for the values the fix replaces.
			kept := strings.ReplaceAll(string(old), "allowPrivilegeEscalation: true", "allowPrivilegeEscalation: false")
			if !subsequence(kept, string(out)) {
				t.Errorf("bytes of the original are gone or moved")
			}
			// The same objects, apart from the fixes.
			a, b := decodeDocs(t, old), decodeDocs(t, out)
			stripFixes(a)
			stripFixes(b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("the fixed file decodes to other objects:\nbefore %v\nafter  %v", a, b)
			}
			// It scans clean, and a second run plans nothing.
			fixed := filepath.Join(t.TempDir(), filepath.Base(in))
			if err := os.WriteFile(fixed, out, 0o644); err != nil {
				t.Fatal(err)
			}
			after, p, _ := plan(t, fixed)
			for _, f := range after {
				t.Errorf("still found after the fix: %s %s %s: %s", f.CheckID, f.Object, f.Path, f.Message)
			}
			if len(p) > 0 {
				t.Errorf("second run plans %v", p)
			}
		})
	}
}

// TestFixCRLF keeps Windows line ends on the lines it adds.
func TestFixCRLF(t *testing.T) {
	src := "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: c\r\n    image: c:1\r\n"
	path := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := fixFile(t, path)
	if n := strings.Count(string(out), "\n"); n != strings.Count(string(out), "\r\n") || n <= 8 {
		t.Errorf("line ends:\n%q", out)
	}
}

// TestRefuseUnsafe leaves alone the documents an edit cannot change safely:
// a container from an anchor that other places alias, a merge key.
func TestRefuseUnsafe(t *testing.T) {
	for name, src := range map[string]string{
		"anchor": `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers:
    - &c
      name: c
      image: c:1
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
  spec:
    containers:
    - *c
`,
		"merge": `apiVersion: v1
kind: Pod
metadata: {name: m}
spec:
  containers:
  - <<: {name: c, image: "c:1", securityContext: {runAsUser: 1000}}
`,
		"null-security-context": `apiVersion: v1
kind: Pod
metadata: {name: n}
spec:
  containers:
  - name: c
    image: c:1
    securityContext:
`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.yaml")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, p, _ := plan(t, path)
			if len(p) == 0 {
				t.Fatal("no change planned: the test proves nothing")
			}
			for _, cs := range p {
				out, results := fix.Patch([]byte(src), cs)
				if string(out) != src {
					t.Errorf("the file changed:\n%s", out)
				}
				for _, r := range results {
					if r.Err == nil {
						t.Errorf("%v written", r.Change)
					}
				}
			}
		})
	}
}

// TestPlanRefusesRendered refuses findings in Helm templates and Kustomize
// builds, with a sentence naming why.
func TestPlanRefusesRendered(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"../source/helm/testdata/app", "Helm template"},
		{"../source/kustomize/testdata/overlays/prod", "Kustomize overlay"},
	} {
		findings, p, refused := plan(t, tc.path)
		if len(findings) == 0 {
			t.Fatalf("%s: no finding: the test proves nothing", tc.path)
		}
		if len(p) > 0 {
			t.Errorf("%s: planned %v", tc.path, p)
		}
		if len(refused) == 0 || !strings.Contains(refused[0].Reason, tc.want) {
			t.Errorf("%s: refused %v", tc.path, refused)
		}
	}
}

// TestPatchWrongDocument refuses a change whose document does not hold the
// object the finding named (the file changed since the scan).
func TestPatchWrongDocument(t *testing.T) {
	src := []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: other}\nspec: {containers: [{name: c, image: c}]}\n")
	c := fix.Change{Kind: fix.NoPrivilegeEscalation, Object: inventory.Ref{Kind: "Pod", Name: "p"}, Path: fieldpath.Parse("spec.containers[0]")}
	out, results := fix.Patch(src, []fix.Change{c})
	if !bytes.Equal(out, src) || len(results) != 1 || results[0].Err == nil {
		t.Errorf("out %s, results %v", out, results)
	}
	c.Document = 7
	if _, results := fix.Patch(src, []fix.Change{c}); results[0].Err == nil || errors.Is(results[0].Err, nil) {
		t.Errorf("document 7: %v", results)
	}
}

func TestDiff(t *testing.T) {
	d, err := fix.Diff("a.yaml", []byte("x: 1\ny: 2\n"), []byte("x: 1\nz: 3\ny: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := "--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,3 @@\n x: 1\n+z: 3\n y: 2\n"
	if d != want {
		t.Errorf("diff:\n%s\nwant:\n%s", d, want)
	}
	if d, _ := fix.Diff("a.yaml", []byte("x"), []byte("x")); d != "" {
		t.Errorf("equal files: %q", d)
	}
}

// subsequence reports whether every byte of a appears in b, in order.
func subsequence(a, b string) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// TestFixGroupedFindings fixes every file of a finding the scan groups
// across files (the same object in two files is one finding, Elsewhere).
func TestFixGroupedFindings(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, p, _ := plan(t, dir)
	if len(p) != 2 {
		t.Errorf("planned files: %v", p)
	}
}
