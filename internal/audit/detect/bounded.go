package detect

// bounded is a map with a maximum size; when full, an arbitrary entry makes
// room. Stateful rules keep their tables in it so hostile streams (millions
// of identities, pods or addresses) cannot exhaust memory.
type bounded[K comparable, V any] struct {
	m   map[K]V
	max int
	// evicted counts entries dropped to make room.
	evicted uint64
}

func newBounded[K comparable, V any](max int) *bounded[K, V] {
	return &bounded[K, V]{m: make(map[K]V), max: max}
}

func (b *bounded[K, V]) get(k K) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}

func (b *bounded[K, V]) set(k K, v V) {
	if _, ok := b.m[k]; !ok && len(b.m) >= b.max {
		for old := range b.m {
			delete(b.m, old)
			b.evicted++
			break
		}
	}
	b.m[k] = v
}

func (b *bounded[K, V]) delete(k K) { delete(b.m, k) }

func (b *bounded[K, V]) len() int { return len(b.m) }

// sweep deletes the entries for which stale reports true.
func (b *bounded[K, V]) sweep(stale func(V) bool) {
	for k, v := range b.m {
		if stale(v) {
			delete(b.m, k)
		}
	}
}
