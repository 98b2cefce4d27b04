package loader

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
)

// RunawayError stops a load: a chart or overlay whose rendering did not end
// in time or kept taking memory. Helm's template engine cannot be
// interrupted, so the render goes on in the background; the only bound on
// it is to stop the whole run, which is what the caller must do.
type RunawayError struct {
	Path   string // as displayed
	Reason string
}

func (e *RunawayError) Error() string {
	return fmt.Sprintf("%s: %s; kubeward stopped (exclude it in .kubewardignore, or raise the limit)", e.Path, e.Reason)
}

// render runs a renderer under the render limits: a deadline and a bound
// on the memory it takes while it runs (fatal: the render cannot be
// stopped), then a bound on the size of its output (not fatal: the output
// is dropped and reported).
func (w *walker) render(r source.Renderer, path string) {
	type result struct {
		inputs []manifest.Input
		err    error
	}
	lim := w.opts.Limits
	done := make(chan result, 1)
	stop := make(chan struct{})
	defer close(stop)
	breach := watchHeap(lim.maxRenderMemory(), stop)
	go func() {
		in, err := r.Render(path, source.Display(path))
		done <- result{in, err}
	}()
	timer := time.NewTimer(lim.renderTimeout())
	defer timer.Stop()
	var res result
	select {
	case res = <-done:
	case <-timer.C:
		w.fatal = &RunawayError{Path: source.Display(path), Reason: fmt.Sprintf("%s: rendering took longer than %s (a template that does not end?)", r.Name(), lim.renderTimeout())}
		return
	case <-breach:
		w.fatal = &RunawayError{Path: source.Display(path), Reason: fmt.Sprintf("%s: rendering took more than %d MiB of memory", r.Name(), lim.maxRenderMemory()>>20)}
		return
	}
	if skip, ok := errors.AsType[*source.SkipError](res.err); ok {
		w.log.Skip(source.Display(path), r.Name()+": "+skip.Reason)
		return
	}
	if res.err != nil {
		w.log.Errorf(source.Display(path), 0, "%s: %v", r.Name(), res.err)
		return
	}
	size, docs := 0, 0
	for _, in := range res.inputs {
		size += len(in.Data)
		docs += manifest.CountDocuments(in.Data)
	}
	if int64(size) > lim.maxRenderBytes() {
		w.log.Errorf(source.Display(path), 0, "%s: rendered output of %d bytes is over the limit of %d bytes; not scanned", r.Name(), size, lim.maxRenderBytes())
		return
	}
	if docs > lim.maxRenderDocuments() {
		w.log.Errorf(source.Display(path), 0, "%s: rendered %d documents, over the limit of %d; not scanned", r.Name(), docs, lim.maxRenderDocuments())
		return
	}
	for _, in := range res.inputs {
		w.emit(in)
	}
}

// heapPoll is how often memory is sampled while a unit renders.
const heapPoll = 10 * time.Millisecond

// watchHeap closes the returned channel when the heap has grown by more
// than limit bytes since the call, counting live memory only (a
// collection confirms it), until stop is closed.
func watchHeap(limit int64, stop <-chan struct{}) <-chan struct{} {
	breach := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		read := func() int64 { metrics.Read(s); return int64(s[0].Value.Uint64()) }
		start := read()
		t := time.NewTicker(heapPoll)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			if read()-start <= limit {
				continue
			}
			runtime.GC() // what is over may be garbage
			if read()-start > limit {
				close(breach)
				return
			}
		}
	}()
	return breach
}
