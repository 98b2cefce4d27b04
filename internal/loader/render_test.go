package loader

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
)

// fakeRenderer claims directories named "chart" and runs render.
type fakeRenderer struct {
	render func() ([]manifest.Input, error)
}

func (fakeRenderer) Name() string { return "fake" }
func (fakeRenderer) Claims(path string, isDir bool) bool {
	return isDir && filepath.Base(path) == "chart"
}
func (r fakeRenderer) Render(string, string) ([]manifest.Input, error) {
	return r.render()
}

func withRenderer(t *testing.T, limits Limits, render func() ([]manifest.Input, error)) *Loader {
	t.Helper()
	l, err := New(Options{Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	l.renderers = []source.Renderer{fakeRenderer{render}}
	return l
}

// TestRenderTimeout: a chart that never finishes rendering stops the run
// with an error naming it, in bounded time (Helm's engine cannot be
// interrupted, so going on would leave it spinning).
func TestRenderTimeout(t *testing.T) {
	dir := t.TempDir()
	write(t, dir+"/chart/Chart.yaml", "name: x")
	write(t, dir+"/plain.yaml", cm("plain"))
	release := make(chan struct{})
	defer close(release)
	l := withRenderer(t, Limits{RenderTimeout: 50 * time.Millisecond}, func() ([]manifest.Input, error) {
		<-release
		return nil, nil
	})
	start := time.Now()
	_, _, err := load(t, l, dir)
	if time.Since(start) > 30*time.Second {
		t.Errorf("load took %s", time.Since(start))
	}
	var re *RunawayError
	if !errors.As(err, &re) || !strings.HasSuffix(re.Path, "/chart") || !strings.Contains(err.Error(), "longer than 50ms") {
		t.Errorf("err = %v, want a RunawayError for the chart", err)
	}
}

// TestRenderMemory: a chart whose rendering keeps taking memory stops the
// run before the process runs out of it.
func TestRenderMemory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir+"/chart/Chart.yaml", "name: x")
	release := make(chan struct{})
	defer close(release)
	var held [][]byte
	l := withRenderer(t, Limits{MaxRenderMemory: 64 << 20, RenderTimeout: time.Minute}, func() ([]manifest.Input, error) {
		for {
			select {
			case <-release:
				held = nil
				return nil, nil
			default:
			}
			if len(held) < 64 { // at most 256 MiB, over the limit of 64
				held = append(held, make([]byte, 4<<20))
			}
			time.Sleep(time.Millisecond)
		}
	})
	_, _, err := load(t, l, dir)
	var re *RunawayError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "more than 64 MiB of memory") {
		t.Errorf("err = %v, want a RunawayError for memory", err)
	}
}

// TestRenderOutputLimits: a render whose output is too large, or holds too
// many documents, is reported and not decoded; the rest of the run goes on.
func TestRenderOutputLimits(t *testing.T) {
	dir := t.TempDir()
	write(t, dir+"/chart/Chart.yaml", "name: x")
	write(t, dir+"/plain.yaml", cm("plain"))
	many := strings.Repeat("---\n"+cm("x"), 50)
	for name, c := range map[string]struct {
		limits Limits
		want   string
	}{
		"bytes":     {Limits{MaxRenderBytes: 1000}, "rendered output of 2750 bytes is over the limit of 1000 bytes"},
		"documents": {Limits{MaxRenderDocuments: 10}, "rendered 50 documents, over the limit of 10"},
	} {
		l := withRenderer(t, c.limits, func() ([]manifest.Input, error) {
			return []manifest.Input{{Name: "chart", Data: []byte(many)}}, nil
		})
		got, log, err := load(t, l, dir)
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v, %v", name, got, err)
		}
		if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, c.want) {
			t.Errorf("%s: problems = %v, want %q", name, p, c.want)
		}
	}
}
