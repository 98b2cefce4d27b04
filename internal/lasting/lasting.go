// Package lasting keeps values derived from their key alone (a parsed
// image reference) across many runs, up to a number of entries: a
// long-lived server (the webhook) meets the same few keys review after
// review, and a flood of distinct keys costs a build each, as without the
// store, and no memory beyond its bound.
package lasting

import "sync"

// Map holds up to max entries; when full, it starts afresh (cheaper than
// tracking recency, and the working set of a cluster is far smaller than
// the bound). Safe for concurrent use.
type Map[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

// New holds up to max entries.
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{m: map[K]V{}, max: max}
}

// Get returns key's value, built by build when it is not held. Two callers
// may both build a missing value: build must be pure.
func (l *Map[K, V]) Get(key K, build func() V) V {
	l.mu.RLock()
	v, ok := l.m[key]
	l.mu.RUnlock()
	if ok {
		return v
	}
	v = build()
	l.mu.Lock()
	if len(l.m) >= l.max {
		clear(l.m)
	}
	l.m[key] = v
	l.mu.Unlock()
	return v
}

// Len is the number of entries held.
func (l *Map[K, V]) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.m)
}
