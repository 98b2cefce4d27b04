package source

import (
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/manifest"
)

type slowRenderer struct{ release chan struct{} }

func (slowRenderer) Name() string                    { return "slow" }
func (slowRenderer) Claims(path string, _ bool) bool { return strings.HasSuffix(path, "chart") }
func (r slowRenderer) Render(string, string) ([]manifest.Input, error) {
	<-r.release
	return nil, nil
}

// TestRenderTimeout: a chart that never finishes rendering is abandoned
// with a reported error, and the rest of the scan goes on.
func TestRenderTimeout(t *testing.T) {
	dir := t.TempDir()
	write(t, dir+"/chart/Chart.yaml", "name: x")
	write(t, dir+"/plain.yaml", "kind: x")
	r := slowRenderer{release: make(chan struct{})}
	defer close(r.release)
	log := &diag.Log{}
	var got []string
	start := time.Now()
	(&Files{Log: log, Renderers: []Renderer{r}, RenderTimeout: 50 * time.Millisecond}).Walk([]string{dir}, func(in manifest.Input) {
		got = append(got, in.Name)
	})
	if time.Since(start) > 5*time.Second {
		t.Errorf("walk took %s", time.Since(start))
	}
	if len(got) != 1 || !strings.HasSuffix(got[0], "plain.yaml") {
		t.Errorf("inputs = %v", got)
	}
	if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, "abandoned") {
		t.Errorf("problems = %v", p)
	}
}
