package netpol

import (
	"math/bits"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// External is a range of addresses that every ipBlock of the input treats
// alike: each ipBlock either contains all of it or none of it. Together the
// externals partition the IPv4 and IPv6 address spaces, so the matrix can
// show external reachability with one row and column per class.
type External struct {
	Name     string         `json:"name"`
	Prefixes []netip.Prefix `json:"prefixes"`
	// Blocks lists the ipBlocks (by engine index) that contain the class.
	blocks []int
	// Representative is an address in the class, to explain it.
	Representative netip.Addr `json:"-"`
}

type partition struct {
	classes []External
	// byBlock[b] lists the classes inside ipBlock b.
	byBlock [][]int
}

// u128 is an address as a number, for interval arithmetic on both families.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a u128) add1() u128 {
	lo, c := bits.Add64(a.lo, 1, 0)
	return u128{a.hi + c, lo}
}

func (a u128) sub1() u128 {
	lo, b := bits.Sub64(a.lo, 1, 0)
	return u128{a.hi - b, lo}
}

// trailingZeros counts trailing zero bits (128 for zero).
func (a u128) trailingZeros() int {
	if a.lo != 0 {
		return bits.TrailingZeros64(a.lo)
	}
	return 64 + bits.TrailingZeros64(a.hi)
}

// lowMask has the n lowest bits set.
func lowMask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{0, 1<<uint(n) - 1}
	case n == 64:
		return u128{0, ^uint64(0)}
	case n < 128:
		return u128{1<<uint(n-64) - 1, ^uint64(0)}
	}
	return u128{^uint64(0), ^uint64(0)}
}

func (a u128) or(b u128) u128 { return u128{a.hi | b.hi, a.lo | b.lo} }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var v u128
	for i := range 8 {
		v.hi = v.hi<<8 | uint64(b[i])
		v.lo = v.lo<<8 | uint64(b[8+i])
	}
	return v
}

func fromU128(v u128, v4 bool) netip.Addr {
	if v4 {
		x := uint32(v.lo)
		return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(v.hi >> (8 * i))
		b[15-i] = byte(v.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

func familyBits(v4 bool) int {
	if v4 {
		return 32
	}
	return 128
}

// prefixRange returns the first and last address of p as numbers.
func prefixRange(p netip.Prefix) (u128, u128) {
	lo := toU128(p.Masked().Addr())
	return lo, lo.or(lowMask(familyBits(p.Addr().Is4()) - p.Bits()))
}

// rangeToPrefixes covers lo..hi exactly with the fewest prefixes.
func rangeToPrefixes(lo, hi u128, v4 bool) []netip.Prefix {
	fb := familyBits(v4)
	var out []netip.Prefix
	for !hi.less(lo) {
		// The largest block aligned at lo that does not pass hi.
		size := min(lo.trailingZeros(), fb)
		for size > 0 && hi.less(lo.or(lowMask(size))) {
			size--
		}
		out = append(out, netip.PrefixFrom(fromU128(lo, v4), fb-size))
		end := lo.or(lowMask(size))
		if end == lowMask(fb) {
			break
		}
		lo = end.add1()
	}
	return out
}

type interval struct {
	lo, hi u128
	v4     bool
}

// partitionExternals splits the address space at every ipBlock boundary
// and groups the pieces by the set of ipBlocks containing them.
func partitionExternals(blocks []*ipBlock) *partition {
	var pieces []interval
	for _, v4 := range []bool{true, false} {
		cuts := []u128{{}}
		add := func(p netip.Prefix) {
			if p.Addr().Is4() != v4 {
				return
			}
			lo, hi := prefixRange(p)
			cuts = append(cuts, lo)
			if hi != lowMask(familyBits(v4)) {
				cuts = append(cuts, hi.add1())
			}
		}
		for _, b := range blocks {
			add(b.cidr)
			for _, e := range b.except {
				add(e)
			}
		}
		sort.Slice(cuts, func(i, j int) bool { return cuts[i].less(cuts[j]) })
		k := 0
		for i := range cuts {
			if i == 0 || cuts[i] != cuts[k-1] {
				cuts[k] = cuts[i]
				k++
			}
		}
		cuts = cuts[:k]
		for i, c := range cuts {
			hi := lowMask(familyBits(v4))
			if i+1 < len(cuts) {
				hi = cuts[i+1].sub1()
			}
			pieces = append(pieces, interval{c, hi, v4})
		}
	}

	pt := &partition{byBlock: make([][]int, len(blocks))}
	classOf := map[string]int{}
	var members [][]interval
	key := make([]byte, (len(blocks)+7)/8)
	for _, iv := range pieces {
		clear(key)
		var in []int
		a := fromU128(iv.lo, iv.v4)
		for bi, b := range blocks {
			if b.contains(a) {
				key[bi/8] |= 1 << (bi % 8)
				in = append(in, bi)
			}
		}
		ci, ok := classOf[string(key)]
		if !ok {
			ci = len(pt.classes)
			classOf[string(key)] = ci
			pt.classes = append(pt.classes, External{blocks: in, Representative: a})
			members = append(members, nil)
			for _, bi := range in {
				pt.byBlock[bi] = append(pt.byBlock[bi], ci)
			}
		}
		m := members[ci]
		if n := len(m); n > 0 && m[n-1].v4 == iv.v4 && m[n-1].hi.add1() == iv.lo {
			m[n-1].hi = iv.hi
		} else {
			m = append(m, iv)
		}
		members[ci] = m
	}
	for ci := range pt.classes {
		c := &pt.classes[ci]
		for _, iv := range members[ci] {
			c.Prefixes = append(c.Prefixes, rangeToPrefixes(iv.lo, iv.hi, iv.v4)...)
		}
		c.Name = externalName(c, ci, blocks)
	}
	return pt
}

// externalName names a class by what defines it: an ipBlock it equals, its
// prefixes when few, or the most specific ipBlock (or the whole address
// space) it lies in minus a few holes; otherwise a number.
func externalName(c *External, i int, blocks []*ipBlock) string {
	const few = 3
	var within []netip.Prefix
	for _, bi := range c.blocks {
		if b := blocks[bi]; len(within) == 0 || b.cidr.Bits() > within[0].Bits() {
			within = []netip.Prefix{b.cidr}
		}
	}
	if len(c.blocks) == 1 && samePrefixes(c.Prefixes, blockPrefixes(blocks[c.blocks[0]])) {
		return blocks[c.blocks[0]].String()
	}
	if len(c.Prefixes) == 2 && c.Prefixes[0].Bits() == 0 && c.Prefixes[1].Bits() == 0 {
		return "any-ip"
	}
	if len(c.Prefixes) <= 2 {
		return joinPrefixes(c.Prefixes)
	}
	if within == nil {
		within = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	}
	var holes []netip.Prefix
	for _, w := range within {
		holes = append(holes, blockPrefixes(&ipBlock{cidr: w, except: c.Prefixes})...)
	}
	switch {
	case len(holes) == 0 && len(within) == 2:
		return "any-ip"
	case len(holes) <= few && len(within) == 2:
		return "any-ip except " + joinPrefixes(holes)
	case len(holes) <= few:
		return within[0].String() + " except " + joinPrefixes(holes)
	case len(within) == 2:
		return "other-ips"
	}
	return "ext-" + strconv.Itoa(i)
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Externals returns the address classes of the input's ipBlocks.
func (e *Engine) Externals() []External {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.partition().classes
}

func (e *Engine) partition() *partition {
	if e.externals == nil {
		e.externals = partitionExternals(e.ipBlocks)
	}
	return e.externals
}

// blockPrefixes covers an ipBlock (cidr minus excepts) with prefixes.
func blockPrefixes(b *ipBlock) []netip.Prefix {
	v4 := b.cidr.Addr().Is4()
	lo, hi := prefixRange(b.cidr)
	var ex []interval
	for _, e := range b.except {
		if e.Addr().Is4() == v4 {
			elo, ehi := prefixRange(e)
			ex = append(ex, interval{elo, ehi, v4})
		}
	}
	sort.Slice(ex, func(i, j int) bool { return ex[i].lo.less(ex[j].lo) })
	var out []netip.Prefix
	cur := lo
	for _, e := range ex {
		if e.hi.less(cur) || hi.less(e.lo) {
			continue
		}
		if cur.less(e.lo) {
			out = append(out, rangeToPrefixes(cur, e.lo.sub1(), v4)...)
		}
		if !e.hi.less(hi) {
			return out
		}
		cur = e.hi.add1()
	}
	return append(out, rangeToPrefixes(cur, hi, v4)...)
}

func samePrefixes(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
