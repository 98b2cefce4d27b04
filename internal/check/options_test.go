package check

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestLastingMemo: with a Lasting store, a value is built once across
// runs (contexts), concurrently too, and the store never holds more than
// its bound; without one, LastingMemo is the run's Memo.
func TestLastingMemo(t *testing.T) {
	type key string
	var builds atomic.Int64
	build := func(v string) func() any {
		return func() any { builds.Add(1); return v }
	}

	lasting := NewLasting(3)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := NewContext(nil)
			ctx.Lasting = lasting
			if got := ctx.LastingMemo(key("a"), build("A")); got != "A" {
				t.Errorf("got %v", got)
			}
		}()
	}
	wg.Wait()
	// Concurrent first asks may each build; later runs do not.
	first := builds.Load()
	for range 5 {
		ctx := NewContext(nil)
		ctx.Lasting = lasting
		ctx.LastingMemo(key("a"), build("A"))
	}
	if builds.Load() != first {
		t.Errorf("built %d times after the first runs, want none", builds.Load()-first)
	}
	for i := range 10 {
		ctx := NewContext(nil)
		ctx.Lasting = lasting
		ctx.LastingMemo(key(fmt.Sprint(i)), build("x"))
		if n := lasting.Len(); n > 3 {
			t.Fatalf("%d entries, bound 3", n)
		}
	}

	builds.Store(0)
	ctx := NewContext(nil)
	ctx.LastingMemo(key("b"), build("B"))
	ctx.LastingMemo(key("b"), build("B"))
	if NewContext(nil).LastingMemo(key("b"), build("B")); builds.Load() != 2 {
		t.Errorf("without a store: %d builds for two runs, want 2 (once per run)", builds.Load())
	}
}
