package httpguard

import (
	"context"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Budget is memory shared by requests in progress: a request reserves what
// it may hold before it reads its body, and releases it when done, so the
// server's memory stays near the budget however many clients send at once.
type Budget struct {
	sem   *semaphore.Weighted
	size  int64
	inUse atomic.Int64
}

// NewBudget returns a budget of size bytes.
func NewBudget(size int64) *Budget {
	return &Budget{sem: semaphore.NewWeighted(size), size: size}
}

// Size is the budget's size in bytes.
func (b *Budget) Size() int64 { return b.size }

// InUse is how much is reserved now.
func (b *Budget) InUse() int64 { return b.inUse.Load() }

// ErrOverBudget is returned for a reservation larger than the whole budget.
var ErrOverBudget = fmt.Errorf("larger than the whole memory budget")

// Acquire reserves n bytes, waiting until they are free or ctx ends.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n > b.size {
		return ErrOverBudget
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return err
	}
	b.inUse.Add(n)
	return nil
}

// TryAcquire reserves n bytes if they are free now.
func (b *Budget) TryAcquire(n int64) bool {
	if n > b.size || !b.sem.TryAcquire(n) {
		return false
	}
	b.inUse.Add(n)
	return true
}

// Release returns n reserved bytes.
func (b *Budget) Release(n int64) {
	if n > 0 {
		b.inUse.Add(-n)
		b.sem.Release(n)
	}
}
