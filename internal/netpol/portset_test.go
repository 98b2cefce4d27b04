package netpol

import (
	"math/rand/v2"
	"testing"
)

// refSet is a brute-force model of a port set over a small universe.
type refSet map[[2]int]bool

// universe holds the ports the random sets draw from: low ports and the
// top of the range, to exercise both ends.
var universe = func() []int {
	var u []int
	for p := 1; p <= 24; p++ {
		u = append(u, p)
	}
	for p := MaxPort - 5; p <= MaxPort; p++ {
		u = append(u, p)
	}
	return u
}()

func randomSet(r *rand.Rand) (PortSet, refSet) {
	s, ref := NoPorts(), refSet{}
	for range r.IntN(4) {
		proto := Protocol(r.IntN(int(numProtocols)))
		lo := universe[r.IntN(len(universe))]
		hi := lo + r.IntN(4)
		if r.IntN(8) == 0 {
			hi = MaxPort
		}
		s = s.Union(Ports(proto, lo, hi))
		for _, p := range universe {
			if lo <= p && p <= hi {
				ref[[2]int{int(proto), p}] = true
			}
		}
	}
	return s, ref
}

func checkCanonical(t *testing.T, s PortSet) {
	t.Helper()
	for p := range numProtocols {
		rs := s.r[p]
		for i, r := range rs {
			if r.Lo > r.Hi || r.Lo < MinPort {
				t.Fatalf("bad range %v in %v", r, s)
			}
			if i > 0 && uint32(rs[i-1].Hi)+1 >= uint32(r.Lo) {
				t.Fatalf("ranges %v and %v overlap or touch in %v", rs[i-1], r, s)
			}
		}
	}
}

func TestPortSetAlgebraAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		a, ra := randomSet(r)
		b, rb := randomSet(r)
		u, i, d := a.Union(b), a.Intersect(b), a.Subtract(b)
		for _, s := range []PortSet{a, b, u, i, d} {
			checkCanonical(t, s)
		}
		for p := range numProtocols {
			for _, port := range universe {
				k := [2]int{int(p), port}
				if got, want := u.Contains(p, port), ra[k] || rb[k]; got != want {
					t.Fatalf("%v ∪ %v contains %d/%v = %v, want %v", a, b, port, p, got, want)
				}
				if got, want := i.Contains(p, port), ra[k] && rb[k]; got != want {
					t.Fatalf("%v ∩ %v contains %d/%v = %v, want %v", a, b, port, p, got, want)
				}
				if got, want := d.Contains(p, port), ra[k] && !rb[k]; got != want {
					t.Fatalf("%v \\ %v contains %d/%v = %v, want %v", a, b, port, p, got, want)
				}
			}
		}
		if !u.Equal(b.Union(a)) || !i.Equal(b.Intersect(a)) {
			t.Fatalf("union or intersection of %v and %v is not commutative", a, b)
		}
		if !a.SubsetOf(u) || !i.SubsetOf(a) {
			t.Fatalf("subset laws fail for %v, %v", a, b)
		}
	}
}

func TestPortSetString(t *testing.T) {
	tests := []struct {
		set  PortSet
		want string
	}{
		{NoPorts(), "none"},
		{AllPorts(), "all"},
		{AllOf(UDP), "UDP:all"},
		{Ports(TCP, 80, 80).Union(Ports(TCP, 81, 81)).Union(Ports(TCP, 443, 443)), "TCP:80-81,443"},
		{Ports(SCTP, 5, 7).Union(Ports(TCP, 53, 53)).Union(Ports(UDP, 53, 53)), "TCP:53 UDP:53 SCTP:5-7"},
		{AllPorts().Subtract(Ports(TCP, 1, 1)), "TCP:2-65535 UDP:all SCTP:all"},
		{Ports(TCP, 0, 70000), "TCP:all"},
		{Ports(TCP, 90, 80), "none"},
	}
	for _, tt := range tests {
		if got := tt.set.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParsePortSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    PortSpec
		wantErr bool
	}{
		{in: "80", want: PortSpec{Protocol: TCP, Lo: 80, Hi: 80}},
		{in: "53/UDP", want: PortSpec{Protocol: UDP, Lo: 53, Hi: 53}},
		{in: "53/udp", want: PortSpec{Protocol: UDP, Lo: 53, Hi: 53}},
		{in: "8000-8080/SCTP", want: PortSpec{Protocol: SCTP, Lo: 8000, Hi: 8080}},
		{in: "http", want: PortSpec{Protocol: TCP, Name: "http"}},
		{in: "all/UDP", want: PortSpec{Protocol: UDP, Lo: 1, Hi: 65535}},
		{in: "0", wantErr: true},
		{in: "65536", wantErr: true},
		{in: "90-80", wantErr: true},
		{in: "80/ICMP", wantErr: true},
		{in: "", wantErr: true},
		{in: "/TCP", wantErr: true},
		{in: "Bad_Name", wantErr: true},
		{in: "80-", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParsePortSpec(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePortSpec(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("ParsePortSpec(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParsePortSpec(f *testing.F) {
	for _, s := range []string{"80", "53/UDP", "8000-8080/SCTP", "http/TCP", "all", "-1", "1-/x", "65535-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParsePortSpec(s)
		if err != nil {
			return
		}
		if spec.Name == "" && (spec.Lo < MinPort || spec.Hi > MaxPort || spec.Lo > spec.Hi) {
			t.Fatalf("ParsePortSpec(%q) accepted out-of-range %+v", s, spec)
		}
		// The printed form reads back to the same spec.
		again, err := ParsePortSpec(spec.String())
		if err != nil || again != spec {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", s, spec, spec.String(), again, err)
		}
	})
}
