package kustomize_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
)

// TestWalk runs the renderer under the loader over all fixtures.
func TestWalk(t *testing.T) {
	l, err := loader.New(loader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := &diag.Log{}
	units := map[string]int{}
	var mu sync.Mutex
	if _, err := l.Load([]string{"testdata"}, nil, log, func(_ int, o *inventory.Object) {
		mu.Lock()
		units[o.Source.File]++
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	// Objects are named after the files they were written in: base's by
	// the three units that build it.
	want := map[string]int{
		"testdata/base/deployment.yaml": 3, "testdata/base/kustomization.yaml": 3, "testdata/base/service.yaml": 3,
		"testdata/overlays/prod/kustomization.yaml": 1, "testdata/overlays/prod/networkpolicy.yaml": 1,
	}
	if !reflect.DeepEqual(units, want) {
		t.Errorf("objects per unit %v, want %v", units, want)
	}
	var problems []string
	for _, p := range log.Problems() {
		problems = append(problems, p.File)
	}
	wantProblems := []string{"testdata/helmchart", "testdata/remote-git", "testdata/remote-http", "testdata/remote-nested", "testdata/remote-patch"}
	if !reflect.DeepEqual(problems, wantProblems) {
		t.Errorf("problems in %q, want %q", problems, wantProblems)
	}
	var skipped []string
	for _, s := range log.Skipped() {
		if !strings.HasPrefix(s.Path, "testdata/fuzz/") { // go test's fuzz corpus
			skipped = append(skipped, s.Path)
		}
	}
	if !reflect.DeepEqual(skipped, []string{"testdata/components/hardening"}) {
		t.Errorf("skipped %q", skipped)
	}
}
