package manifest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	yaml "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func nothing(schema.GroupKind) bool { return false }

// problems renders a log's problems as "level line object path: message".
func problems(log *diag.Log) []string {
	var out []string
	for _, p := range log.Problems() {
		out = append(out, fmt.Sprintf("%s %d %s %s: %s", p.Level, p.Line, p.Object, p.Path, p.Message))
	}
	return out
}

// TestTypedLists: the items of a typed list (kubectl get -o yaml of a
// PodList, an API server dump) carry no apiVersion and kind; they are the
// list's kind without "List", as Kubernetes' own decoder fills them. They
// used to be rejected one by one ("object without apiVersion and kind"), so
// whole namespaces vanished from a scan and a NetworkPolicy matrix.
func TestTypedLists(t *testing.T) {
	src := `apiVersion: v1
kind: PodList
metadata: {resourceVersion: "12"}
items:
- metadata: {name: a, namespace: shop, labels: {app: web}}
  spec:
    containers:
    - name: c
      image: x
      securityContext: {privileged: true}
- apiVersion: v1
  kind: Pod
  metadata: {name: b, namespace: shop}
  spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: web, namespace: shop}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec: {containers: [{name: c, image: x}]}
---
apiVersion: example.com/v1
kind: WidgetList
items:
- metadata: {name: w}
  spec: {size: 1}
---
apiVersion: v1
kind: List
items:
- metadata: {name: no-kind}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: listed}
- kind: ConfigMap
  metadata: {name: half}
---
apiVersion: v1
kind: NamespaceList
items: null
---
apiVersion: example.com/v1
kind: AllowList
metadata: {name: a-custom-resource-not-a-list}
spec: {cidrs: [10.0.0.0/8]}
`
	for name, reads := range map[string]func(schema.GroupKind) bool{"all read": everything, "none read": nothing} {
		objs, log, _ := decodeAll(t, src, reads)
		var got []string
		for _, o := range objs {
			got = append(got, o.APIVersion+" "+o.Kind+" "+o.Namespace+"/"+o.Name)
		}
		want := "v1 Pod shop/a,v1 Pod shop/b,apps/v1 Deployment shop/web,example.com/v1 Widget /w,v1 ConfigMap /listed,example.com/v1 AllowList /a-custom-resource-not-a-list"
		if strings.Join(got, ",") != want {
			t.Errorf("%s: objects\n got %s\nwant %s", name, strings.Join(got, ","), want)
		}
		wantProblems := []string{
			"error 35  items[0]: object without apiVersion and kind",
			"error 39  items[2]: object without apiVersion and kind",
		}
		if p := problems(log); strings.Join(p, "\n") != strings.Join(wantProblems, "\n") {
			t.Errorf("%s: problems\n got %q\nwant %q", name, p, wantProblems)
		}
		if len(objs) == 0 || objs[0].Name != "a" {
			continue
		}
		if pod, ok := objs[0].Typed.(*corev1.Pod); name == "all read" && (!ok || len(pod.Spec.Containers) != 1 || pod.Spec.Containers[0].SecurityContext == nil) {
			t.Errorf("%s: the first item is not decoded as a Pod: %#v", name, objs[0].Typed)
		}
		if objs[0].Source.ListItem != 1 {
			t.Errorf("%s: ListItem = %d", name, objs[0].Source.ListItem)
		}
	}
	// Positions of a filled item are those of its own fields.
	objs, _, _ := decodeAll(t, src, everything)
	if len(objs) == 0 {
		t.Fatal("no object")
	}
	pos := objs[0].Locate([]*fieldpath.Path{fieldpath.New("spec", "containers").Index(0).Child("securityContext", "privileged")})
	if pos[0] != (inventory.Position{Line: 10, Column: 25}) {
		t.Errorf("position in a PodList = %+v, want 10:25", pos[0])
	}
}

// TestFlowDocumentOnSeparator: "--- {...}" is valid YAML and Kustomize
// reads it; the document on the separator's line used to vanish, so a
// privileged Pod written that way passed the gate. Content after "..."
// is invalid YAML and is reported at its line.
func TestFlowDocumentOnSeparator(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata: {name: first}
--- {apiVersion: v1, kind: Pod, metadata: {name: flow}, spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}
--- {apiVersion: v1, kind: ConfigMap,
  metadata: {name: two-lines}}
---   # a comment is not a document
apiVersion: v1
kind: ConfigMap
metadata: {name: last}
... not a comment
`
	for name, reads := range map[string]func(schema.GroupKind) bool{"all read": everything, "none read": nothing} {
		objs, log, _ := decodeAll(t, src, reads)
		var got []string
		for _, o := range objs {
			got = append(got, o.Kind+"/"+o.Name)
		}
		if strings.Join(got, ",") != "ConfigMap/first,Pod/flow,ConfigMap/two-lines,ConfigMap/last" {
			t.Errorf("%s: objects %v", name, got)
		}
		if p := problems(log); len(p) != 1 || !strings.HasPrefix(p[0], "error 11 ") {
			t.Errorf("%s: problems %q, want the text after \"...\" reported at line 11", name, p)
		}
		if len(objs) < 2 {
			continue
		}
		flow := objs[1]
		if flow.Source.Line != 4 {
			t.Errorf("%s: the flow document starts at line %d, want 4", name, flow.Source.Line)
		}
		if name == "all read" {
			pos := flow.Locate([]*fieldpath.Path{fieldpath.New("spec", "containers").Index(0).Child("securityContext", "privileged")})
			if pos[0] != (inventory.Position{Line: 4, Column: 115}) {
				t.Errorf("position in the flow document = %+v, want 4:115", pos[0])
			}
		}
	}
}

// TestRejectedKinds: an object the API server would reject (a built-in
// kind in a group or version that does not serve it, an unknown kind in a
// built-in group) is an input error at its line. It used to be read for
// its metadata and judged by no check, silently. Custom resources, whose
// groups Kubernetes does not define, are read as before, and a kubeconfig
// is not a manifest.
func TestRejectedKinds(t *testing.T) {
	src := `apiVersion: v1
kind: Deployment
metadata: {name: core-deployment}
---
apiVersion: apps/v2
kind: Deployment
metadata: {name: no-such-version}
---
apiVersion: apps/v1
kind: Deploymnet
metadata: {name: typo}
---
apiVersion: example.com/v1
kind: Deployment
metadata: {name: custom}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old-but-known}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Role
  metadata: {name: in-a-list}
`
	for name, reads := range map[string]func(schema.GroupKind) bool{"all read": everything, "none read": nothing} {
		objs, log, _ := decodeAll(t, src, reads)
		var got []string
		for _, o := range objs {
			got = append(got, o.Kind+"/"+o.Name)
		}
		if strings.Join(got, ",") != "Deployment/custom,Deployment/old-but-known" {
			t.Errorf("%s: objects %v", name, got)
		}
		want := []string{
			"error 2 Deployment/core-deployment : Kubernetes has no kind Deployment in v1 (Deployment is in apps/v1); the API server would reject the object, so no check judged it",
			"error 6 Deployment/no-such-version : Kubernetes serves no API version apps/v2 (Deployment is in apps/v1); the API server would reject the object, so no check judged it",
			"error 10 Deploymnet/typo : Kubernetes has no kind Deploymnet in apps/v1; the API server would reject the object, so no check judged it",
			"error 25 Role/in-a-list items[0]: Kubernetes has no kind Role in v1 (Role is in rbac.authorization.k8s.io/v1); the API server would reject the object, so no check judged it",
		}
		if got := problems(log); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: problems\n got %q\nwant %q", name, got, want)
		}
	}
	// A release older than the libraries may serve what they no longer
	// carry: the objects are read for their metadata, with a warning.
	log := &diag.Log{}
	var got []string
	(&Decoder{Log: log, Reads: everything, OlderTarget: true}).Decode(Input{Name: "test.yaml", Data: []byte(src)}, func(o *inventory.Object) {
		got = append(got, o.APIVersion+" "+o.Kind+"/"+o.Name)
	})
	if want := "v1 Deployment/core-deployment,apps/v2 Deployment/no-such-version,apps/v1 Deploymnet/typo,example.com/v1 Deployment/custom,extensions/v1beta1 Deployment/old-but-known,v1 Role/in-a-list"; strings.Join(got, ",") != want {
		t.Errorf("older target: objects %v", got)
	}
	for _, p := range log.Problems() {
		if p.Level != diag.Warning || !strings.Contains(p.Message, "the target release may serve it, so only its metadata is checked") {
			t.Errorf("older target: %s", p)
		}
	}
	if len(log.Problems()) != 4 {
		t.Errorf("older target: %d problems, want 4 warnings", len(log.Problems()))
	}

	log = &diag.Log{}
	(&Decoder{Log: log, Reads: everything}).Decode(Input{Name: "kubeconfig.yaml", Data: []byte("apiVersion: v1\nkind: Config\nclusters: []\n")}, func(*inventory.Object) {
		t.Error("a kubeconfig decoded as an object")
	})
	if s := log.Skipped(); len(s) != 1 || !strings.Contains(s[0].Reason, "kubeconfig") || len(log.Problems()) != 0 {
		t.Errorf("kubeconfig: skipped %v, problems %v", s, log.Problems())
	}
}

// contractSeeds are the shapes of the input contract: typed lists, flow
// documents on separator lines, kinds the API server rejects.
var contractSeeds = []string{
	"apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n  spec: {containers: [{name: c, image: x}]}\n",
	"apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- {metadata: {name: d}, spec: {template: {spec: {containers: []}}}}\n- apiVersion: v1\n  kind: Pod\n",
	"apiVersion: v1\nkind: List\nitems: null\n---\nkind: PodList\napiVersion: v1\n",
	"apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: x}\n",
	"--- {apiVersion: v1, kind: Pod, metadata: {name: flow}}\n--- {a: 1}\n... x\n--- |\n  text\n",
	"a: 1\n--- {apiVersion: v1,\n  kind: ConfigMap}\n---\n",
	"apiVersion: v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: apps/v9\nkind: Deployment\n---\napiVersion: v1\nkind: Config\n",
}

// FuzzNoDocumentVanishes: each document of a stream, decoded alone, yields
// an object, a problem or a skipped input, unless it is a list with no
// item.
func FuzzNoDocumentVanishes(f *testing.F) {
	for _, s := range contractSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(mixed))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sp := range splitDocuments(data) {
			doc := data[sp.start:sp.end]
			if blank(doc) {
				continue
			}
			log := &diag.Log{}
			d := &Decoder{Log: log, Reads: everything, Limits: Limits{MaxDocumentBytes: 1 << 16, MaxDepth: 64, MaxJSONBytes: 1 << 20}}
			n := d.Decode(Input{Name: "fuzz.yaml", Data: doc}, func(*inventory.Object) {})
			if n == 0 && len(log.Problems()) == 0 && len(log.Skipped()) == 0 && !emptyList(doc) {
				t.Fatalf("document vanished: %q", doc)
			}
		}
	})
}

// emptyList reports whether doc is a list with no item, which holds
// nothing to report.
func emptyList(doc []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(doc, &root) != nil || len(root.Content) == 0 {
		return false
	}
	top := deref(root.Content[0])
	if top.Kind != yaml.MappingNode {
		return false
	}
	items, _ := lookup(top, "items")
	return items != nil && len(deref(items).Content) == 0
}
