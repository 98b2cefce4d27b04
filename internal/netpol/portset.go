package netpol

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Protocol is one of the three protocols NetworkPolicy knows, as a dense
// index so port sets can be fixed-size arrays.
type Protocol uint8

const (
	TCP Protocol = iota
	UDP
	SCTP
	numProtocols
)

// Protocols lists the protocols in display order.
var Protocols = [numProtocols]Protocol{TCP, UDP, SCTP}

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// Core returns the k8s.io/api spelling of the protocol.
func (p Protocol) Core() corev1.Protocol { return corev1.Protocol(p.String()) }

// ParseProtocol accepts the API spelling (TCP, UDP, SCTP). The API server
// rejects other spellings, "tcp" included, so this does too.
func ParseProtocol(s string) (Protocol, bool) {
	switch s {
	case "TCP":
		return TCP, true
	case "UDP":
		return UDP, true
	case "SCTP":
		return SCTP, true
	}
	return 0, false
}

// MinPort and MaxPort bound the ports a NetworkPolicy can name.
const (
	MinPort = 1
	MaxPort = 65535
)

// PortRange is the inclusive range Lo..Hi of one protocol.
type PortRange struct{ Lo, Hi uint16 }

// PortSet is an immutable set of (protocol, port) pairs. Each protocol holds
// sorted, disjoint, non-adjacent ranges, so equal sets have equal fields.
type PortSet struct {
	r [numProtocols][]PortRange
}

var fullRange = []PortRange{{MinPort, MaxPort}}

// AllPorts is every port of every protocol.
func AllPorts() PortSet {
	return PortSet{r: [numProtocols][]PortRange{fullRange, fullRange, fullRange}}
}

// NoPorts is the empty set.
func NoPorts() PortSet { return PortSet{} }

// Ports builds the set of one protocol's range lo..hi (clamped to 1..65535).
func Ports(p Protocol, lo, hi int) PortSet {
	var s PortSet
	lo, hi = max(lo, MinPort), min(hi, MaxPort)
	if lo <= hi && p < numProtocols {
		s.r[p] = []PortRange{{uint16(lo), uint16(hi)}}
	}
	return s
}

// AllOf is every port of one protocol.
func AllOf(p Protocol) PortSet { return Ports(p, MinPort, MaxPort) }

// Ranges returns the ranges of one protocol; the caller must not modify them.
func (s PortSet) Ranges(p Protocol) []PortRange { return s.r[p] }

// IsEmpty reports whether the set holds no port.
func (s PortSet) IsEmpty() bool {
	return len(s.r[TCP]) == 0 && len(s.r[UDP]) == 0 && len(s.r[SCTP]) == 0
}

// IsAll reports whether the set holds every port of every protocol.
func (s PortSet) IsAll() bool {
	for p := range numProtocols {
		if !isFull(s.r[p]) {
			return false
		}
	}
	return true
}

func isFull(r []PortRange) bool { return len(r) == 1 && r[0] == PortRange{MinPort, MaxPort} }

// Contains reports whether the set holds port on protocol p.
func (s PortSet) Contains(p Protocol, port int) bool {
	if p >= numProtocols || port < MinPort || port > MaxPort {
		return false
	}
	for _, r := range s.r[p] {
		if int(r.Lo) <= port && port <= int(r.Hi) {
			return true
		}
		if int(r.Lo) > port {
			break
		}
	}
	return false
}

// Equal reports whether both sets hold the same ports.
func (s PortSet) Equal(t PortSet) bool {
	for p := range numProtocols {
		if len(s.r[p]) != len(t.r[p]) {
			return false
		}
		for i := range s.r[p] {
			if s.r[p][i] != t.r[p][i] {
				return false
			}
		}
	}
	return true
}

// Union returns s ∪ t.
func (s PortSet) Union(t PortSet) PortSet { return s.combine(t, unionRanges) }

// Intersect returns s ∩ t.
func (s PortSet) Intersect(t PortSet) PortSet { return s.combine(t, intersectRanges) }

// Subtract returns s \ t.
func (s PortSet) Subtract(t PortSet) PortSet { return s.combine(t, subtractRanges) }

func (s PortSet) combine(t PortSet, f func(a, b []PortRange) []PortRange) PortSet {
	var out PortSet
	for p := range numProtocols {
		out.r[p] = f(s.r[p], t.r[p])
	}
	return out
}

// SubsetOf reports whether every port of s is in t.
func (s PortSet) SubsetOf(t PortSet) bool { return s.Subtract(t).IsEmpty() }

func unionRanges(a, b []PortRange) []PortRange {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	case isFull(a):
		return a
	case isFull(b):
		return b
	}
	out := make([]PortRange, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next PortRange
		if j >= len(b) || (i < len(a) && a[i].Lo <= b[j].Lo) {
			next = a[i]
			i++
		} else {
			next = b[j]
			j++
		}
		// Merge overlapping and adjacent ranges so the form stays canonical.
		if n := len(out); n > 0 && uint32(next.Lo) <= uint32(out[n-1].Hi)+1 {
			out[n-1].Hi = max(out[n-1].Hi, next.Hi)
			continue
		}
		out = append(out, next)
	}
	return out
}

func intersectRanges(a, b []PortRange) []PortRange {
	switch {
	case len(a) == 0 || len(b) == 0:
		return nil
	case isFull(a):
		return b
	case isFull(b):
		return a
	}
	var out []PortRange
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].Lo, b[j].Lo), min(a[i].Hi, b[j].Hi)
		if lo <= hi {
			out = append(out, PortRange{lo, hi})
		}
		if a[i].Hi < b[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

func subtractRanges(a, b []PortRange) []PortRange {
	if len(a) == 0 || len(b) == 0 {
		return a
	}
	var out []PortRange
	j := 0
	for _, r := range a {
		lo := uint32(r.Lo)
		for j < len(b) && uint32(b[j].Hi) < lo {
			j++
		}
		for k := j; k < len(b) && uint32(b[k].Lo) <= uint32(r.Hi); k++ {
			if uint32(b[k].Lo) > lo {
				out = append(out, PortRange{uint16(lo), b[k].Lo - 1})
			}
			lo = uint32(b[k].Hi) + 1
		}
		if lo <= uint32(r.Hi) {
			out = append(out, PortRange{uint16(lo), r.Hi})
		}
	}
	return out
}

// String prints the set compactly: "all", "none", or per protocol
// "TCP:80,443,8000-8080 UDP:53" with "TCP:all" for a whole protocol.
func (s PortSet) String() string {
	if s.IsAll() {
		return "all"
	}
	if s.IsEmpty() {
		return "none"
	}
	var b strings.Builder
	for _, p := range Protocols {
		rs := s.r[p]
		if len(rs) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.String())
		b.WriteByte(':')
		if isFull(rs) {
			b.WriteString("all")
			continue
		}
		for i, r := range rs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(r.Lo)))
			if r.Hi != r.Lo {
				b.WriteByte('-')
				b.WriteString(strconv.Itoa(int(r.Hi)))
			}
		}
	}
	return b.String()
}

// Items lists the set as "PORT/PROTO" or "LO-HI/PROTO" strings, the form
// ParsePortSpec reads, for JSON output.
func (s PortSet) Items() []string {
	var out []string
	for _, p := range Protocols {
		for _, r := range s.r[p] {
			if r.Lo == r.Hi {
				out = append(out, fmt.Sprintf("%d/%s", r.Lo, p))
			} else {
				out = append(out, fmt.Sprintf("%d-%d/%s", r.Lo, r.Hi, p))
			}
		}
	}
	return out
}

// key is a canonical binary encoding used to intern sets.
func (s PortSet) key() string {
	n := 0
	for p := range numProtocols {
		n += 2 + 4*len(s.r[p])
	}
	b := make([]byte, 0, n)
	for p := range numProtocols {
		b = append(b, byte(len(s.r[p])>>8), byte(len(s.r[p])))
		for _, r := range s.r[p] {
			b = append(b, byte(r.Lo>>8), byte(r.Lo), byte(r.Hi>>8), byte(r.Hi))
		}
	}
	return string(b)
}

// PortSpec is one "PORT[/PROTO]" item of the command line and of the
// connection file: a number, a range LO-HI, a port name, or "all".
type PortSpec struct {
	Protocol Protocol
	Lo, Hi   int    // zero when Name is set or for all ports
	Name     string // a named container port
}

// ParsePortSpec reads "80", "80/UDP", "8000-8080/TCP", "http", "http/TCP",
// "all/UDP" (every port of UDP). The protocol defaults to TCP, as in the API.
func ParsePortSpec(s string) (PortSpec, error) {
	spec := PortSpec{Protocol: TCP}
	port, proto, hasProto := strings.Cut(strings.TrimSpace(s), "/")
	if hasProto {
		p, ok := ParseProtocol(strings.ToUpper(proto))
		if !ok {
			return spec, fmt.Errorf("port %q: unknown protocol %q (want TCP, UDP or SCTP)", s, proto)
		}
		spec.Protocol = p
	}
	if port == "" {
		return spec, fmt.Errorf("port %q: empty port", s)
	}
	if port == "all" || port == "*" {
		spec.Lo, spec.Hi = MinPort, MaxPort
		return spec, nil
	}
	if port[0] >= '0' && port[0] <= '9' {
		lo, hi, isRange := strings.Cut(port, "-")
		l, err := parsePortNum(lo)
		if err != nil {
			return spec, fmt.Errorf("port %q: %w", s, err)
		}
		h := l
		if isRange {
			if h, err = parsePortNum(hi); err != nil {
				return spec, fmt.Errorf("port %q: %w", s, err)
			}
			if h < l {
				return spec, fmt.Errorf("port %q: range end %d is below its start %d", s, h, l)
			}
		}
		spec.Lo, spec.Hi = l, h
		return spec, nil
	}
	if msg := validPortName(port); msg != "" {
		return spec, fmt.Errorf("port %q: %s", s, msg)
	}
	spec.Name = port
	return spec, nil
}

func parsePortNum(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < MinPort || n > MaxPort {
		return 0, fmt.Errorf("%q is not a port number between 1 and 65535", s)
	}
	return n, nil
}

func (p PortSpec) String() string {
	switch {
	case p.Name != "":
		return p.Name + "/" + p.Protocol.String()
	case p.Lo == MinPort && p.Hi == MaxPort:
		return "all/" + p.Protocol.String()
	case p.Lo == p.Hi:
		return strconv.Itoa(p.Lo) + "/" + p.Protocol.String()
	}
	return fmt.Sprintf("%d-%d/%s", p.Lo, p.Hi, p.Protocol)
}

func (p Protocol) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (p *Protocol) UnmarshalText(b []byte) error {
	v, ok := ParseProtocol(strings.ToUpper(string(b)))
	if !ok {
		return fmt.Errorf("unknown protocol %q (want TCP, UDP or SCTP)", b)
	}
	*p = v
	return nil
}

// MarshalJSON prints a set as its Items.
func (s PortSet) MarshalJSON() ([]byte, error) {
	items := s.Items()
	if items == nil {
		items = []string{}
	}
	return json.Marshal(items)
}
