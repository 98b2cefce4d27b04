package manifest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func everything(schema.GroupKind) bool { return true }

// decodeBounded decodes and returns the problems and the heap growth.
func decodeBounded(t *testing.T, src string, limits Limits) (int, []diag.Problem, uint64) {
	t.Helper()
	log := &diag.Log{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := (&Decoder{Log: log, Reads: everything, Limits: limits}).Decode(Input{Name: "hostile.yaml", Data: []byte(src)}, func(*inventory.Object) {})
	runtime.ReadMemStats(&after)
	return n, log.Problems(), after.TotalAlloc - before.TotalAlloc
}

func TestAliasBomb(t *testing.T) {
	// Each level refers to the previous one nine times: 9^9 leaves if expanded.
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n")
	n, problems, alloc := decodeBounded(t, b.String(), Limits{MaxDocumentBytes: 1 << 20, MaxDepth: 64, MaxJSONBytes: 8 << 20})
	if n != 1 {
		t.Errorf("decoded %d objects, want only the one after the bomb", n)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "size limit") {
		t.Errorf("problems = %v", problems)
	}
	if alloc > 256<<20 {
		t.Errorf("allocated %d MiB for a 1 KiB bomb", alloc>>20)
	}
}

func TestDeepNesting(t *testing.T) {
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"
	n, problems, _ := decodeBounded(t, deep, DefaultLimits)
	if n != 0 || len(problems) != 1 {
		t.Errorf("objects %d, problems %v", n, problems)
	}
}

func TestDocumentSizeLimit(t *testing.T) {
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: \"" + strings.Repeat("a", 2<<20) + "\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: small}\n"
	n, problems, _ := decodeBounded(t, big, Limits{MaxDocumentBytes: 1 << 20, MaxDepth: 64, MaxJSONBytes: 8 << 20})
	if n != 1 || len(problems) != 1 || !strings.Contains(problems[0].Message, "over the limit") || problems[0].Line != 1 {
		t.Errorf("objects %d, problems %v", n, problems)
	}
}

func TestHugeMapping(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata:\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	n, problems, _ := decodeBounded(t, b.String(), DefaultLimits)
	if n != 1 || len(problems) != 0 {
		t.Errorf("objects %d, problems %v", n, problems)
	}
}

func TestMergeKeysAndAnchors(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata: {name: merged}
spec:
  containers:
  - &base
    name: a
    image: x
    securityContext: {privileged: true}
  - <<: *base
    name: b
`
	objs, log, _ := decodeAll(t, src, everything)
	if len(objs) != 1 || len(log.Problems()) != 0 {
		t.Fatalf("objects %d problems %v", len(objs), log.Problems())
	}
	pods := objs[0].Pods()
	if c := pods[0].Spec.Containers[1]; c.Name != "b" || c.Image != "x" || !*c.SecurityContext.Privileged {
		t.Errorf("merged container = %+v", c)
	}
	pos := objs[0].Locate([]*fieldpath.Path{fieldpath.New("spec", "containers").Index(1).Child("securityContext", "privileged")})
	if pos[0].Line != 9 {
		t.Errorf("merged field located at %+v, want line 9 where it is written", pos[0])
	}
}

func TestListKinds(t *testing.T) {
	src := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: one}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: two}
  spec:
    template:
      spec:
        containers:
        - name: c
          image: x
`
	objs, log, _ := decodeAll(t, src, everything)
	if len(objs) != 2 || len(log.Problems()) != 0 {
		t.Fatalf("objects %d problems %v", len(objs), log.Problems())
	}
	if objs[1].Source.ListItem != 2 {
		t.Errorf("ListItem = %d", objs[1].Source.ListItem)
	}
	pos := objs[1].Locate([]*fieldpath.Path{fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("image")})
	if pos[0] != (inventory.Position{Line: 15, Column: 11}) {
		t.Errorf("position in a List = %+v, want 15:11", pos[0])
	}
}

func TestNotKubernetes(t *testing.T) {
	log := &diag.Log{}
	d := &Decoder{Log: log, Reads: everything}
	d.Decode(Input{Name: "values.yaml", Data: []byte("replicaCount: 1\nimage: {tag: x}\n")}, func(*inventory.Object) { t.Error("emitted an object") })
	d.Decode(Input{Name: "mixed.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\njust: data\n")}, func(*inventory.Object) {})
	sk := log.Skipped()
	if len(sk) != 2 || sk[1].Path != "values.yaml" || !strings.Contains(sk[1].Reason, "not a Kubernetes manifest") ||
		sk[0].Path != "mixed.yaml document 1 (line 5)" {
		t.Errorf("skipped = %+v", sk)
	}
}

// FuzzDecode feeds arbitrary bytes through the whole loader and the
// position mapper: nothing may panic, and every position must be inside the
// input.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(mixed))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c}]}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{<<: {name: c}, image: 1}]}\n"))
	f.Add([]byte("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"j\"}}"))
	// Workload custom resources: their pod templates are decoded too.
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec: {containers: [{name: c, image: x, ports: [{containerPort: \"80\"}]}]}\n"))
	f.Add([]byte("apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: j}\nspec: {jobTargetRef: {template: [x]}}\n"))
	f.Add([]byte("apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s}\nspec: {template: {spec: {containerConcurrency: 1, containers: [{image: a}, {image: b}]}}}\n"))
	for _, s := range contractSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		d := &Decoder{Log: &diag.Log{}, Reads: everything, Limits: Limits{MaxDocumentBytes: 1 << 16, MaxDepth: 64, MaxJSONBytes: 1 << 20}}
		d.Decode(Input{Name: "fuzz.yaml", Data: data}, func(o *inventory.Object) {
			paths := []*fieldpath.Path{
				fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("image"),
				fieldpath.New("metadata", "labels").Key("a.b/c"),
				fieldpath.New("items").Index(3),
			}
			for _, p := range o.Locate(paths) {
				if p.Line < 0 || p.Line > lines {
					t.Fatalf("position %+v outside the %d-line input", p, lines)
				}
			}
		})
	})
}
