package netpol

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func blocks(t *testing.T, specs ...string) []*ipBlock {
	var out []*ipBlock
	for i, s := range specs {
		cidr, except, _ := strings.Cut(s, " except ")
		b := &ipBlock{cidr: netip.MustParsePrefix(cidr), id: i}
		if except != "" {
			for _, e := range strings.Split(except, ",") {
				b.except = append(b.except, netip.MustParsePrefix(e))
			}
		}
		out = append(out, b)
	}
	return out
}

func TestPartitionExternals(t *testing.T) {
	tests := []struct {
		name   string
		blocks []string
		want   []string // class name: prefixes
	}{
		{"no ipBlocks", nil, []string{"any-ip: 0.0.0.0/0 ::/0"}},
		{"overlapping blocks", []string{"10.0.0.0/8", "10.1.0.0/16", "192.168.0.0/16 except 192.168.1.0/24"}, []string{
			"other-ips ...",
			"10.0.0.0/8 except 10.1.0.0/16: 10.0.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/12 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9",
			"10.1.0.0/16: 10.1.0.0/16",
			"192.168.0.0/16 except 192.168.1.0/24: 192.168.0.0/24 192.168.2.0/23 192.168.4.0/22 192.168.8.0/21 192.168.16.0/20 192.168.32.0/19 192.168.64.0/18 192.168.128.0/17",
		}},
		{"one block", []string{"10.0.0.0/8"}, []string{
			"any-ip except 10.0.0.0/8: 0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 12.0.0.0/6 16.0.0.0/4 32.0.0.0/3 64.0.0.0/2 128.0.0.0/1 ::/0",
			"10.0.0.0/8: 10.0.0.0/8",
		}},
		{"everything except metadata", []string{"0.0.0.0/0 except 169.254.169.254/32"}, []string{
			"0.0.0.0/0 except 169.254.169.254/32: 0.0.0.0/1 128.0.0.0/3 ... (no v6)",
			"169.254.169.254/32,::/0: 169.254.169.254/32 ::/0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := partitionExternals(blocks(t, tt.blocks...))
			if len(pt.classes) != len(tt.want) {
				t.Fatalf("%d classes, want %d: %+v", len(pt.classes), len(tt.want), pt.classes)
			}
			for i, c := range pt.classes {
				var ps []string
				for _, p := range c.Prefixes {
					ps = append(ps, p.String())
				}
				got := c.Name + ": " + strings.Join(ps, " ")
				want := tt.want[i]
				if head, ok := strings.CutSuffix(want, " ..."); ok {
					if c.Name != head {
						t.Errorf("class %d is named %q, want %q", i, c.Name, head)
					}
					continue
				}
				if head, ok := strings.CutSuffix(want, " ... (no v6)"); ok {
					if !strings.HasPrefix(got, head) || strings.Contains(got, ":") && strings.Contains(got, "::") {
						t.Errorf("class %d = %q, want prefix %q and no IPv6", i, got, head)
					}
					continue
				}
				if got != want {
					t.Errorf("class %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestPartitionIsExact checks on random blocks that the classes cover the
// address space without overlap and that every address of a class lies in
// exactly the blocks the class says.
func TestPartitionIsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	randPrefix := func() netip.Prefix {
		if r.IntN(4) == 0 {
			var b [16]byte
			b[0], b[1], b[2] = 0x20, 0x01, byte(r.IntN(4))
			return netip.PrefixFrom(netip.AddrFrom16(b), 16+r.IntN(16)).Masked()
		}
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256))})
		return netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
	}
	for range 200 {
		var bs []*ipBlock
		for i := range 1 + r.IntN(5) {
			b := &ipBlock{cidr: randPrefix(), id: i}
			if r.IntN(2) == 0 {
				if e := randPrefix(); e.Bits() > b.cidr.Bits() {
					b.except = append(b.except, e)
				}
			}
			bs = append(bs, b)
		}
		pt := partitionExternals(bs)
		// Probe addresses: the edges of every prefix of every class.
		for ci, c := range pt.classes {
			for _, p := range c.Prefixes {
				lo, hi := prefixRange(p)
				for _, a := range []netip.Addr{fromU128(lo, p.Addr().Is4()), fromU128(hi, p.Addr().Is4())} {
					var in []int
					for bi, b := range bs {
						if b.contains(a) {
							in = append(in, bi)
						}
					}
					if !equalInts(in, c.blocks) {
						t.Fatalf("address %s of class %d (%v) is in blocks %v, class says %v", a, ci, c.Prefixes, in, c.blocks)
					}
					n := 0
					for _, c2 := range pt.classes {
						for _, p2 := range c2.Prefixes {
							if p2.Contains(a) {
								n++
							}
						}
					}
					if n != 1 {
						t.Fatalf("address %s is in %d class prefixes", a, n)
					}
				}
			}
		}
	}
}

func equalInts(a, b []int) bool {
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

func TestRangeToPrefixes(t *testing.T) {
	lo := toU128(netip.MustParseAddr("10.0.0.1"))
	hi := toU128(netip.MustParseAddr("10.0.0.6"))
	var got []string
	for _, p := range rangeToPrefixes(lo, hi, true) {
		got = append(got, p.String())
	}
	if want := "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	all := rangeToPrefixes(u128{}, lowMask(128), false)
	if len(all) != 1 || all[0].String() != "::/0" {
		t.Errorf("whole IPv6 space = %v", all)
	}
}
