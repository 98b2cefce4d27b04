// Package manifesttest helps the tests of renderers: their output decoded
// with the real decoder.
package manifesttest

import (
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
)

// Objects decodes inputs (a renderer's output, say) with the real decoder,
// every kind in full, and returns the objects by "Kind/name". Any input
// problem, warnings included, fails the test: the inputs must decode clean.
func Objects(t testing.TB, inputs []manifest.Input) map[string]*inventory.Object {
	t.Helper()
	log := &diag.Log{}
	dec := &manifest.Decoder{Log: log}
	objs := map[string]*inventory.Object{}
	for _, in := range inputs {
		dec.Decode(in, func(o *inventory.Object) { objs[o.Kind+"/"+o.Name] = o })
	}
	for _, p := range log.Problems() {
		t.Errorf("input problem: %s", p)
	}
	return objs
}
