package agenttest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/event"
)

// Load loads the programs with the test's options and closes them at the
// end of the test.
func Load(t testing.TB, o bpf.Options) *bpf.Probes {
	t.Helper()
	RequireBPF(t)
	p, err := bpf.Load(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetSensitivePaths(bpf.DefaultSensitivePaths()); err != nil {
		t.Fatal(err)
	}
	return p
}

// Events collects what the probes report, for tests.
type Events struct {
	mu     sync.Mutex
	events []event.Event
	more   chan struct{}
}

// Collect reads the probes' events until the test ends.
func Collect(t testing.TB, p *bpf.Probes) *Events {
	t.Helper()
	e := &Events{more: make(chan struct{}, 1)}
	clock := bpf.NewClock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rec ringbuf.Record
		for {
			if err := p.Read(&rec); err != nil {
				if !errors.Is(err, bpf.ErrClosed) {
					t.Errorf("reading events: %v", err)
				}
				return
			}
			var ev event.Event
			if err := clock.Decode(rec.RawSample, &ev); err != nil {
				t.Errorf("decoding: %v", err)
				continue
			}
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
			select {
			case e.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.Close(); <-done })
	return e
}

// Wait returns the first event match accepts, failing the test after 10s.
func (e *Events) Wait(t testing.TB, what string, match func(*event.Event) bool) event.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	seen := 0
	for {
		e.mu.Lock()
		for ; seen < len(e.events); seen++ {
			if match(&e.events[seen]) {
				ev := e.events[seen]
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.more:
		case <-deadline:
			t.Fatalf("no event %s in 10s (%d events seen)", what, seen)
		}
	}
}

// All returns a copy of the events so far.
func (e *Events) All() []event.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]event.Event(nil), e.events...)
}
