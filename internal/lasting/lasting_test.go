package lasting

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// A value is built once while held, also under concurrent first asks
// (each may build, all get the value), and the map never holds more than
// its bound.
func TestMapBuildsOnceAndStaysBounded(t *testing.T) {
	m := New[string, int](3)
	var builds atomic.Int64
	build := func(v int) func() int { return func() int { builds.Add(1); return v } }
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := m.Get("a", build(1)); got != 1 {
				t.Errorf("got %d, want 1", got)
			}
		})
	}
	wg.Wait()
	first := builds.Load()
	for range 5 {
		m.Get("a", build(2))
	}
	if builds.Load() != first {
		t.Errorf("built %d times more while held", builds.Load()-first)
	}
	for i := range 10 {
		m.Get(fmt.Sprint(i), build(i))
		if n := m.Len(); n > 3 {
			t.Fatalf("%d entries, bound 3", n)
		}
	}
}
