package manifest

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func decodeAll(t *testing.T, src string, reads func(schema.GroupKind) bool) ([]*inventory.Object, *diag.Log, map[*inventory.Object][]inventory.Position) {
	t.Helper()
	log := &diag.Log{}
	d := &Decoder{Log: log, Reads: reads}
	var objs []*inventory.Object
	live := map[*inventory.Object][]inventory.Position{}
	d.Decode(Input{Name: "test.yaml", Data: []byte(src)}, func(o *inventory.Object) {
		objs = append(objs, o)
		live[o] = o.Locate([]*fieldpath.Path{
			fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("securityContext", "privileged"),
			fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("readOnlyRootFilesystem"),
		})
	})
	return objs, log, live
}

const mixed = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  template:
    spec:
      containers:
      - name: a
        image: nginx
        securityContext:
          privileged: true
        env:
        - name: X
          value: true
        resources:
          limits: {cpu: "abc"}
        ports:
        - containerPort: "8080"
        securityContex: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  404: x
  key: a
  key: b
---
foo: [bad
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crd.example.com
  annotations:
    a: b
spec:
  group: [this is not even checked
`

func TestDecodeMixedStream(t *testing.T) {
	reads := func(gk schema.GroupKind) bool { return gk.Kind != "CustomResourceDefinition" }
	objs, log, live := decodeAll(t, mixed, reads)
	if len(objs) != 3 {
		t.Fatalf("got %d objects, want 3 (Deployment, ConfigMap, CRD); problems: %v", len(objs), log.Problems())
	}
	dep, ok := objs[0].Typed.(*appsv1.Deployment)
	if !ok {
		t.Fatalf("first object is %T", objs[0].Typed)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("privileged lost after repairs: %+v", c.SecurityContext)
	}
	if c.Env[0].Name != "X" || c.Env[0].Value != "" {
		t.Errorf("env = %+v, want the bad value dropped and the name kept", c.Env)
	}
	if pos := live[objs[0]]; pos[0] != (inventory.Position{Line: 14, Column: 11}) || pos[1] != (inventory.Position{Line: 11, Column: 9}) {
		t.Errorf("positions = %+v, want privileged at 14:11 and the missing field at its container 11:9", pos)
	}
	cm := objs[1].Typed.(*corev1.ConfigMap)
	if cm.Data["404"] != "x" || cm.Data["key"] != "b" {
		t.Errorf("ConfigMap data = %v", cm.Data)
	}
	crd := objs[2]
	if crd.Typed != nil || crd.Name != "crd.example.com" || crd.Meta.Annotations["a"] != "b" {
		t.Errorf("CRD = %+v", crd)
	}
	var got []string
	for _, p := range log.Problems() {
		got = append(got, p.String())
	}
	want := []string{
		"test.yaml:17:18: error: Deployment/web: spec.template.spec.containers[0].env[0].value: a bool where a string is expected",
		"test.yaml:19:25: error: Deployment/web: spec.template.spec.containers[0].resources.limits.cpu: quantities must match",
		"test.yaml:21:26: error: Deployment/web: spec.template.spec.containers[0].ports[0].containerPort: a string where an integer is expected",
		"test.yaml:22:9: warning: Deployment/web: spec.template.spec.containers[0].securityContex: unknown field",
		"test.yaml:30:3: warning: ConfigMap/cm: data.key: duplicate key \"key\" (first at line 29)",
		"test.yaml:32: error: invalid YAML:",
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}
}

func TestLazyLocatorAfterRelease(t *testing.T) {
	objs, _, _ := decodeAll(t, mixed, func(schema.GroupKind) bool { return true })
	pos := objs[0].Locate([]*fieldpath.Path{fieldpath.New("spec", "template", "spec", "containers").Index(0).Child("image")})
	if pos[0] != (inventory.Position{Line: 12, Column: 9}) {
		t.Errorf("lazy position = %+v, want 12:9", pos[0])
	}
}

// TestProblemsDoNotQuoteValues: a value that fails to decode may be a
// credential; the problem names its place, never the value.
func TestProblemsDoNotQuoteValues(t *testing.T) {
	src := `apiVersion: v1
kind: Pod
metadata: {name: p, creationTimestamp: "hunter2-Secret"}
spec:
  containers:
  - name: c
    image: x
    env:
    - {name: DB_PASSWORD, value: 98765432}
    - {name: TOKEN, value: [s3cr3t-in-a-list]}
`
	objs, log, _ := decodeAll(t, src, func(schema.GroupKind) bool { return true })
	// Each bad value (a time, a number and a list where strings belong) is
	// found at its line, and the pod is still decoded and checked.
	if len(objs) != 1 || len(log.Problems()) != 3 {
		t.Fatalf("objects %d, problems %v", len(objs), log.Problems())
	}
	for _, p := range log.Problems() {
		if p.Line < 3 || p.Path == "" {
			t.Errorf("problem without its place: %s", p)
		}
	}
	for _, p := range log.Problems() {
		for _, v := range []string{"hunter2-Secret", "98765432", "s3cr3t-in-a-list"} {
			if strings.Contains(p.String(), v) {
				t.Errorf("problem quotes a value: %s", p)
			}
		}
	}
}

// TestValueLine: the lines of a literal block scalar are the file's, in a
// later document too and after the parse tree is released; folded and
// quoted values are not placed.
func TestValueLine(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata: {name: first}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: second}
data:
  literal: |
    one

    three
  folded: >
    one
    two
  quoted: "one\ntwo"
  plain: one
`
	var live [][2]bool
	var lines []int
	paths := []*fieldpath.Path{fieldpath.New("data", "literal"), fieldpath.New("data", "folded"), fieldpath.New("data", "quoted"), fieldpath.New("data", "plain")}
	var objs []*inventory.Object
	d := &Decoder{Log: &diag.Log{}}
	d.Decode(Input{Name: "cm.yaml", Data: []byte(src)}, func(o *inventory.Object) {
		objs = append(objs, o)
		if o.Name != "second" {
			return
		}
		p, ok := o.ValueLine(paths[0], 3)
		lines = append(lines, p.Line)
		_, okFolded := o.ValueLine(paths[1], 2)
		live = append(live, [2]bool{ok, okFolded})
	})
	if len(lines) != 1 || lines[0] != 12 || !live[0][0] || live[0][1] {
		t.Fatalf("line 3 of the literal at %v (%v), want 12, and the folded value unplaced", lines, live)
	}
	second := objs[1] // released: the lazy locator reads the document again
	for i, want := range []struct {
		n, line int
		ok      bool
	}{{1, 10, true}, {2, 0, false}, {2, 0, false}, {1, 17, true}} {
		p, ok := second.ValueLine(paths[i], want.n)
		if ok != want.ok || p.Line != want.line {
			t.Errorf("%s line %d: %d %v, want %d %v", paths[i], want.n, p.Line, ok, want.line, want.ok)
		}
	}
	if _, ok := second.ValueLine(paths[0], 9); ok {
		t.Error("a line past the value was placed")
	}
}

// TestPlaceholderIsAWarning is ingress-nginx's ssl-dh-param example: a
// Secret whose data is the documentation's "...base64 encoded data...". It
// is not broken input (a warning, the object still judged), while a real
// value that is not base64, or a bare word in a typed field, stays an error.
func TestPlaceholderIsAWarning(t *testing.T) {
	const secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: lb-dhparam, namespace: ingress-nginx}\ntype: Opaque\ndata:\n  dhparam.pem: %s\n"
	for _, tt := range []struct {
		value string
		want  diag.Level
	}{
		{`"...base64 encoded data..."`, diag.Warning},
		{`<base64-encoded-pem>`, diag.Warning},
		{`"not base64!"`, diag.Error},
		{`"yes"`, diag.Error}, // a bare word: what a mistyped field holds
	} {
		objs, log, _ := decodeAll(t, strings.Replace(secret, "%s", tt.value, 1), func(schema.GroupKind) bool { return true })
		ps := log.Problems()
		if len(objs) != 1 || len(ps) != 1 || ps[0].Level != tt.want || ps[0].Line != 6 {
			t.Errorf("%s: objects %d, problems %v; want one %v at line 6", tt.value, len(objs), ps, tt.want)
		}
	}
}

// TestStrategicMergePatchIsNotAnObject is microservices-demo's
// without-loadgenerator component: a "$patch: delete" fragment is a
// Kustomize patch, skipped with its reason, never an unknown-field problem.
func TestStrategicMergePatchIsNotAnObject(t *testing.T) {
	log := &diag.Log{}
	d := &Decoder{Log: log, Reads: func(schema.GroupKind) bool { return true }}
	n := d.Decode(Input{Name: "delete-loadgenerator.patch.yaml", Data: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: loadgenerator\n$patch: delete\n")}, func(*inventory.Object) {})
	if n != 0 || len(log.Problems()) != 0 || len(log.Skipped()) != 1 || !strings.Contains(log.Skipped()[0].Reason, "strategic-merge patch") {
		t.Errorf("objects %d, problems %v, skipped %+v; want the patch skipped with its reason", n, log.Problems(), log.Skipped())
	}
}
