package controller

import (
	"context"
	"sync"
	"time"
)

// queue is a set of pending items, each with the time of its earliest
// change (zero for work that no change caused: full evaluations), which
// the change-to-report latency is measured from. Adding an item already
// pending merges it: a burst of changes to one object is evaluated once.
type queue[K comparable] struct {
	mu     sync.Mutex
	items  map[K]time.Time
	signal chan struct{}
}

func newQueue[K comparable]() queue[K] {
	return queue[K]{items: map[K]time.Time{}, signal: make(chan struct{}, 1)}
}

func (q *queue[K]) add(k K, at time.Time) {
	q.mu.Lock()
	if t, ok := q.items[k]; ok {
		q.items[k] = earliest(t, at)
	} else {
		q.items[k] = at
	}
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// wait returns once items are pending and debounce has passed since the
// first of them arrived, so that a burst is taken at once; false when ctx
// ends.
func (q *queue[K]) wait(ctx context.Context, debounce time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-q.signal:
	}
	t := time.NewTimer(debounce)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// take empties the queue.
func (q *queue[K]) take() map[K]time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = map[K]time.Time{}
	return out
}
