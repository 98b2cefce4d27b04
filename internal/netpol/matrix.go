package netpol

// setTable interns port sets so that the matrix stores one uint32 per cell
// and unions and intersections of the same operands are computed once.
type setTable struct {
	sets  []PortSet
	index map[string]uint32
	union map[uint64]uint32
	inter map[uint64]uint32
}

const (
	setNone uint32 = 0
	setAll  uint32 = 1
)

func newSetTable() *setTable {
	t := &setTable{index: map[string]uint32{}, union: map[uint64]uint32{}, inter: map[uint64]uint32{}}
	t.id(NoPorts())
	t.id(AllPorts())
	return t
}

func (t *setTable) id(s PortSet) uint32 {
	k := s.key()
	if i, ok := t.index[k]; ok {
		return i
	}
	i := uint32(len(t.sets))
	t.index[k] = i
	t.sets = append(t.sets, s)
	return i
}

func pairKey(a, b uint32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func (t *setTable) or(a, b uint32) uint32 {
	switch {
	case a == b || b == setNone || a == setAll:
		return a
	case a == setNone || b == setAll:
		return b
	}
	k := pairKey(a, b)
	if r, ok := t.union[k]; ok {
		return r
	}
	r := t.id(t.sets[a].Union(t.sets[b]))
	t.union[k] = r
	return r
}

func (t *setTable) and(a, b uint32) uint32 {
	switch {
	case a == b || b == setAll || a == setNone:
		return a
	case a == setAll || b == setNone:
		return b
	}
	k := pairKey(a, b)
	if r, ok := t.inter[k]; ok {
		return r
	}
	r := t.id(t.sets[a].Intersect(t.sets[b]))
	t.inter[k] = r
	return r
}

// Matrix is the allowed ports of every ordered pair of endpoints: all pods
// of the input, then one endpoint per external address class.
type Matrix struct {
	e         *Engine
	pods      int
	externals []External
	n         int
	cells     []uint32 // n*n, row = source
	t         *setTable
}

// Len is the number of endpoints: pods, then externals.
func (m *Matrix) Len() int { return m.n }

// PodCount is the number of pod endpoints (the first PodCount indexes).
func (m *Matrix) PodCount() int { return m.pods }

// Externals returns the external address classes, endpoints PodCount()...
func (m *Matrix) Externals() []External { return m.externals }

// Endpoint returns endpoint i as an Endpoint (externals by a representative address).
func (m *Matrix) Endpoint(i int) Endpoint {
	if i < m.pods {
		return PodEndpoint(i)
	}
	return IPEndpoint(m.externals[i-m.pods].Representative)
}

// Name prints endpoint i.
func (m *Matrix) Name(i int) string {
	if i < m.pods {
		return m.e.pods[i].ID()
	}
	return m.externals[i-m.pods].Name
}

// Allowed returns the ports src may open on dst. ok is false between two
// externals, which NetworkPolicy does not govern.
func (m *Matrix) Allowed(src, dst int) (ports PortSet, ok bool) {
	if src >= m.pods && dst >= m.pods {
		return NoPorts(), false
	}
	return m.t.sets[m.cells[src*m.n+dst]], true
}

// Matrix computes the allowed ports for every pair. It works per rule, not
// per pair: each rule's peers are resolved once to a list of pods, each
// side is filled row by row, and port sets are interned so that a cell is
// a union or intersection of small integers memoised across the matrix.
func (e *Engine) Matrix() *Matrix {
	e.mu.Lock()
	defer e.mu.Unlock()
	pt := e.partition()
	P, X := len(e.pods), len(pt.classes)
	n := P + X
	t := newSetTable()
	m := &Matrix{e: e, pods: P, externals: pt.classes, n: n, cells: make([]uint32, n*n), t: t}

	rb := &rowBuilder{e: e, t: t, pt: pt, pods: P, numeric: map[int]uint32{}}

	// Ingress: ing[d*n+s] is what pod d's ingress side allows from s.
	ing := make([]uint32, P*n)
	for d := range P {
		row := ing[d*n : (d+1)*n]
		if len(e.selecting[Ingress][d]) == 0 {
			for j := range row {
				row[j] = setAll
			}
			continue
		}
		for _, qi := range e.selecting[Ingress][d] {
			q := e.policies[qi]
			for ri := range q.rules[Ingress] {
				r := &q.rules[Ingress][ri]
				rb.fill(row, q, r, Ingress, d)
			}
		}
	}

	// Egress rows, intersected with the destination's ingress column.
	eg := make([]uint32, n)
	for s := range P {
		if len(e.selecting[Egress][s]) == 0 {
			for j := range eg {
				eg[j] = setAll
			}
		} else {
			clear(eg)
			for _, qi := range e.selecting[Egress][s] {
				q := e.policies[qi]
				for ri := range q.rules[Egress] {
					r := &q.rules[Egress][ri]
					rb.fill(eg, q, r, Egress, s)
				}
			}
		}
		row := m.cells[s*n : (s+1)*n]
		for d := range P {
			row[d] = t.and(eg[d], ing[d*n+s])
		}
		copy(row[P:], eg[P:])
	}
	for x := P; x < n; x++ {
		row := m.cells[x*n : (x+1)*n]
		for d := range P {
			row[d] = ing[d*n+x]
		}
	}
	return m
}

// rowBuilder fills rows of interned port sets, one endpoint per column.
type rowBuilder struct {
	e       *Engine
	t       *setTable
	pt      *partition
	pods    int
	numeric map[int]uint32 // rule id -> interned numeric ports
}

// portsID is the interned ports of rule r towards destination dst (an
// endpoint index; externals resolve no named ports).
func (rb *rowBuilder) portsID(r *rule, dst int) uint32 {
	if !r.hasNamed || dst >= rb.pods {
		id, ok := rb.numeric[r.id]
		if !ok {
			id = rb.t.id(r.numeric)
			rb.numeric[r.id] = id
		}
		return id
	}
	return rb.t.id(rb.e.rulePorts(r, dst))
}

// fill ORs into row[j] the ports rule r of policy q allows between pod
// self (whose side the rule governs) and every endpoint j it matches.
func (rb *rowBuilder) fill(row []uint32, q *policy, r *rule, d Direction, self int) {
	e, t, P := rb.e, rb.t, rb.pods
	portsFor := func(j int) uint32 { return rb.portsID(r, j) }
	if d == Ingress {
		id := rb.portsID(r, self) // the destination is self
		if id == setNone {
			return
		}
		portsFor = func(int) uint32 { return id }
	}
	if r.allPeers {
		for j := range row {
			row[j] = t.or(row[j], portsFor(j))
		}
		return
	}
	for pi := range r.peers {
		pr := &r.peers[pi]
		if pr.none {
			continue
		}
		if pr.ip != nil {
			for _, c := range rb.pt.byBlock[pr.ip.id] {
				row[P+c] = t.or(row[P+c], portsFor(P+c))
			}
			for _, j := range e.podsWithIPs {
				if e.peerMatchesPod(q, pr, j) {
					row[j] = t.or(row[j], portsFor(j))
				}
			}
			continue
		}
		for _, j := range e.peerPods(q, pr) {
			row[j] = t.or(row[j], portsFor(j))
		}
	}
}
