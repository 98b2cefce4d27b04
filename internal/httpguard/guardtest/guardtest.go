// Package guardtest helps tests that play hostile clients against a
// server measure what it keeps: the live heap, compared in process.
package guardtest

import "runtime"

// LiveHeap is the heap in use after full collections: what is reachable.
func LiveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
