package vap

import (
	"context"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
)

// decode reads every object of a YAML stream in full, as `policy test` does.
func decode(t testing.TB, yaml string) []*inventory.Object {
	t.Helper()
	log := &diag.Log{}
	var out []*inventory.Object
	(&manifest.Decoder{Log: log}).Decode(manifest.Input{Name: "fixture.yaml", Data: []byte(yaml)}, func(o *inventory.Object) { out = append(out, o) })
	for _, p := range log.Problems() {
		if p.Level == diag.Error {
			t.Fatalf("fixture: %s", p)
		}
	}
	return out
}

func find(t testing.TB, objs []*inventory.Object, ref string) *inventory.Object {
	t.Helper()
	for _, o := range objs {
		if o.Ref.String() == ref {
			return o
		}
	}
	t.Fatalf("no object %s", ref)
	return nil
}

func evaluate(t testing.TB, s *Set, req Request) *Result {
	t.Helper()
	res, err := s.Evaluate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
