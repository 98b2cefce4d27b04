package custom

import (
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestTypedValuesMatchUnstructured: checks see typed objects through the
// reflection adapter the API server gives policies; a custom resource, or
// the same object after runtime.DefaultUnstructuredConverter, must read
// the same (zero values omitted, quantities and byte fields as strings).
func TestTypedValuesMatchUnstructured(t *testing.T) {
	objs := decodeAll(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {a: b}, annotations: {x: ""}}
spec:
  replicas: 0
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      hostNetwork: false
      securityContext: {}
      containers:
      - name: c
        image: x
        ports: [{containerPort: 80}]
        resources: {limits: {memory: 128Mi, cpu: "1.5"}}
        securityContext: {privileged: false, runAsUser: 0}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {k: aGVsbG8=}
`)
	exprs := []string{
		"has(object.spec.replicas)", "object.spec.replicas",
		"has(object.spec.template.spec.hostNetwork)", "has(object.spec.template.spec.securityContext)",
		"has(object.spec.template.spec.securityContext.runAsUser)", "object.spec.template.spec.containers[0].ports[0].containerPort",
		"has(object.spec.template.spec.containers[0].ports[0].protocol)", "object.spec.template.spec.containers[0].resources.limits.memory",
		"string(object.spec.template.spec.containers[0].resources.limits.cpu)", "has(object.spec.template.spec.containers[0].securityContext.privileged)",
		"object.spec.template.spec.containers[0].securityContext.runAsUser", "object.metadata.annotations.x", "has(object.status)",
		"has(object.metadata.creationTimestamp)",
	}
	secretExprs := []string{"object.data.k", "has(object.type)"}
	for _, o := range objs {
		list := exprs
		if o.Kind == "Secret" {
			list = secretExprs
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		raw := &inventory.Object{Ref: o.Ref, Raw: &unstructured.Unstructured{Object: m}}
		for _, e := range list {
			p, err := compile(e, false, nil)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			typed, terr := eval(p, &activation{object: objectVal(o)})
			unst, uerr := eval(p, &activation{object: objectVal(raw)})
			if (terr == nil) != (uerr == nil) || (terr == nil && !equal(typed, unst)) {
				t.Errorf("%s %s: typed %v (%v), unstructured %v (%v)", o.Ref, e, typed, terr, unst, uerr)
			}
		}
	}
}

func equal(a, b ref.Val) bool {
	return a.Equal(b) == types.True
}
