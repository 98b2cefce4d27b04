package resolve

import (
	"context"
	"sync"
	"time"
)

// memo remembers values for a time and makes each once, however many
// callers ask at the same moment. A caller waits at most until its own
// context ends; the making goes on, under the memo's own bound, so that a
// slow registry answers the next caller from memory. A value past its time
// is still answered while it is made again, once, in the background (the
// webhook's reviews do not all wait for a registry round trip each time a
// tag's minute ends); a failure past its time is not: the next caller waits
// for the new attempt.
type memo[V any] struct {
	// mu is read-locked on the path of every warm review (a value made
	// and in its time) and write-locked only to make, refresh or evict:
	// under load, reviews on both cores asking for the same image at the
	// same moment no longer wait for each other.
	mu      sync.RWMutex
	entries map[string]*entry[V]
	order   []string // insertion order, for eviction
	max     int
	// ttl keeps a value; errTTL keeps a failure, so that a registry that is
	// down is not asked again by every review while it stays down.
	ttl, errTTL time.Duration
	now         func() time.Time
}

type entry[V any] struct {
	done    chan struct{}
	val     V
	err     error
	expires time.Time
	// refreshing is set on an expired value being made again.
	refreshing bool
}

func newMemo[V any](max int, ttl, errTTL time.Duration) *memo[V] {
	return &memo[V]{entries: map[string]*entry[V]{}, max: max, ttl: ttl, errTTL: errTTL, now: time.Now}
}

// get returns key's value, making it with build (in its own goroutine)
// when it is missing or expired. ctx bounds the wait only.
func (m *memo[V]) get(ctx context.Context, key string, build func() (V, error)) (V, error) {
	m.mu.RLock()
	if e, ok := m.entries[key]; ok && !e.expires.IsZero() && !m.now().After(e.expires) {
		// Made and in its time: its value and error were set under the
		// write lock and do not change.
		v, err := e.val, e.err
		m.mu.RUnlock()
		return v, err
	}
	m.mu.RUnlock()
	m.mu.Lock()
	e, ok := m.entries[key]
	if ok && !e.expires.IsZero() && m.now().After(e.expires) {
		if e.err == nil {
			if !e.refreshing {
				e.refreshing = true
				m.make(key, build)
			}
			v := e.val
			m.mu.Unlock()
			return v, nil
		}
		ok = false
	}
	if !ok {
		e = m.make(key, build)
	}
	m.mu.Unlock()
	select {
	case <-e.done:
		m.mu.RLock()
		defer m.mu.RUnlock()
		return e.val, e.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// make starts making key's value in a new entry, which replaces the old
// one when it is done (or at once when there is none). Called with mu held.
func (m *memo[V]) make(key string, build func() (V, error)) *entry[V] {
	e := &entry[V]{done: make(chan struct{})}
	old, had := m.entries[key]
	if !had {
		m.order = append(m.order, key)
	}
	if !had || old.err != nil || !old.refreshing {
		m.entries[key] = e
		m.evict()
	}
	go func() {
		v, err := build()
		m.mu.Lock()
		e.val, e.err = v, err
		ttl := m.ttl
		if err != nil {
			ttl = m.errTTL
		}
		e.expires = m.now().Add(ttl)
		if cur, ok := m.entries[key]; ok && cur != e && cur.refreshing {
			m.entries[key] = e
		}
		m.mu.Unlock()
		close(e.done)
	}()
	return e
}

// evict drops the oldest entries beyond max (finished or not: a caller
// waiting on one keeps its own pointer). Called with mu held.
func (m *memo[V]) evict() {
	for len(m.entries) > m.max && len(m.order) > 0 {
		k := m.order[0]
		m.order = m.order[1:]
		delete(m.entries, k)
	}
	// order may hold keys already replaced; compact it now and then.
	if len(m.order) > 2*m.max {
		kept := m.order[:0]
		seen := map[string]bool{}
		for _, k := range m.order {
			if _, ok := m.entries[k]; ok && !seen[k] {
				seen[k] = true
				kept = append(kept, k)
			}
		}
		m.order = kept
	}
}

// len is the number of entries, for tests.
func (m *memo[V]) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
