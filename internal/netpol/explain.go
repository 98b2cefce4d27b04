package netpol

import (
	"fmt"
	"net/netip"
	"strings"
)

// Endpoint is one end of a connection: a pod of the input (Pod >= 0) or an
// address outside them (Pod < 0).
type Endpoint struct {
	Pod int
	IP  netip.Addr
}

// PodEndpoint is the pod at index i of the input.
func PodEndpoint(i int) Endpoint { return Endpoint{Pod: i} }

// IPEndpoint is an address that belongs to no known pod.
func IPEndpoint(a netip.Addr) Endpoint { return Endpoint{Pod: -1, IP: a.Unmap()} }

// IsPod reports whether the endpoint is a pod.
func (ep Endpoint) IsPod() bool { return ep.Pod >= 0 }

// Name prints an endpoint: the pod ID or the address.
func (e *Engine) Name(ep Endpoint) string {
	if ep.IsPod() {
		return e.pods[ep.Pod].ID()
	}
	return ep.IP.String()
}

// EndpointAt is the pod that holds a (the first of the input, when
// several do: host-network pods share their node's), or the address. It
// is an index lookup: the node agent calls it for every connection.
func (e *Engine) EndpointAt(a netip.Addr) Endpoint {
	a = a.Unmap()
	if pi, ok := e.byIP[a]; ok {
		return PodEndpoint(pi)
	}
	return IPEndpoint(a)
}

// ResolveEndpoint reads "namespace/name", "namespace/Kind/name", a name
// unique across namespaces, or an IP address (a pod's, when a pod has it).
func (e *Engine) ResolveEndpoint(s string) (Endpoint, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return e.EndpointAt(a), nil
	}
	var exact, loose []int
	parts := strings.Split(s, "/")
	for i := range e.pods {
		p := &e.pods[i]
		switch {
		case p.ID() == s:
			exact = append(exact, i)
		case len(parts) == 3 && p.Namespace == parts[0] && strings.EqualFold(p.Kind, parts[1]) && p.Name == parts[2]:
			exact = append(exact, i)
		case len(parts) == 2 && p.Namespace == parts[0] && p.Name == parts[1]:
			loose = append(loose, i)
		case len(parts) == 1 && p.Name == s:
			loose = append(loose, i)
		}
	}
	if len(exact) == 1 {
		return PodEndpoint(exact[0]), nil
	}
	if len(exact) == 0 && len(loose) == 1 {
		return PodEndpoint(loose[0]), nil
	}
	cands := append(exact, loose...)
	if len(cands) == 0 {
		return Endpoint{}, fmt.Errorf("no pod or workload %q (use namespace/name, namespace/Kind/name or an IP address)", s)
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = e.pods[c].ID()
	}
	return Endpoint{}, fmt.Errorf("%q is ambiguous: %s", s, strings.Join(names, ", "))
}

// RuleRef points at the part of a policy that decides: a rule, and within
// it the peer and the ports entry that match.
type RuleRef struct {
	Policy    PolicyRef `json:"policy"`
	Direction Direction `json:"direction"`
	Rule      int       `json:"rule"`
	// Peer is the index of the matching peer, or -1 when the rule has no
	// peers and so matches every source or destination.
	Peer int `json:"peer"`
	// Port is the index of the matching ports entry, or -1 when the rule
	// has no ports and so matches every port.
	Port int    `json:"port"`
	Path string `json:"path"`
}

func (r RuleRef) String() string {
	s := fmt.Sprintf("%s %s", r.Policy, r.Path)
	var what []string
	if r.Peer < 0 {
		what = append(what, "any peer")
	} else {
		what = append(what, fmt.Sprintf("%s[%d]", Direction(r.Direction).peers(), r.Peer))
	}
	if r.Port < 0 {
		what = append(what, "any port")
	} else {
		what = append(what, fmt.Sprintf("ports[%d]", r.Port))
	}
	return s + " (" + strings.Join(what, ", ") + ")"
}

// Side is the decision of one side of a connection: the egress side of
// the source or the ingress side of the destination.
type Side struct {
	Direction Direction `json:"direction"`
	Endpoint  string    `json:"endpoint"`
	// Governed is false for external endpoints, which no policy restricts.
	Governed bool `json:"governed"`
	// Isolated is true when some policy selects the pod for this direction;
	// then only rules of those policies allow traffic.
	Isolated bool        `json:"isolated"`
	Policies []PolicyRef `json:"policies,omitempty"`
	Allowed  bool        `json:"allowed"`
	// AllowedBy lists every rule that allows the connection.
	AllowedBy []RuleRef `json:"allowedBy,omitempty"`
	// PortMismatch lists rules whose peers match but whose ports do not:
	// the near misses that explain a denial.
	PortMismatch []RuleRef `json:"portMismatch,omitempty"`
}

// Reason says in one sentence why the side allows or denies.
func (s *Side) Reason() string {
	switch {
	case !s.Governed:
		return "external endpoint: not restricted by NetworkPolicy"
	case !s.Isolated:
		return fmt.Sprintf("not isolated for %s: no policy selecting it lists %s, so all traffic is allowed", s.Direction, titleDir(s.Direction))
	case s.Allowed:
		return fmt.Sprintf("isolated for %s; allowed by %s", s.Direction, s.AllowedBy[0])
	case len(s.PortMismatch) > 0:
		return fmt.Sprintf("isolated for %s; %s matches the peer but not the port", s.Direction, s.PortMismatch[0])
	}
	return fmt.Sprintf("isolated for %s; no rule of the %d selecting polic%s matches", s.Direction, len(s.Policies), plural(len(s.Policies), "y", "ies"))
}

func titleDir(d Direction) string {
	if d == Egress {
		return "Egress"
	}
	return "Ingress"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Decision is the verdict on one connection with the reasons on each side.
type Decision struct {
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Port        int      `json:"port"`
	Protocol    Protocol `json:"protocol"`
	Allowed     bool     `json:"allowed"`
	Egress      Side     `json:"egress"`
	Ingress     Side     `json:"ingress"`
	Notes       []string `json:"notes,omitempty"`
}

// Explain decides whether src may open a connection to dst on port/proto
// and says which policies and rules decide it on each side. It evaluates
// the rules directly, independently of the matrix code.
func (e *Engine) Explain(src, dst Endpoint, port int, proto Protocol) Decision {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := Decision{Source: e.Name(src), Destination: e.Name(dst), Port: port, Protocol: proto}
	d.Egress = Side{Direction: Egress, Endpoint: d.Source, Allowed: true}
	d.Ingress = Side{Direction: Ingress, Endpoint: d.Destination, Allowed: true}
	if src.IsPod() {
		e.decideSide(&d.Egress, src.Pod, dst, dst, port, proto)
	}
	if dst.IsPod() {
		e.decideSide(&d.Ingress, dst.Pod, src, dst, port, proto)
	}
	d.Allowed = d.Egress.Allowed && d.Ingress.Allowed
	d.Notes = e.notes(src, dst)
	return d
}

// Allowed is Explain without the explanation.
func (e *Engine) Allowed(src, dst Endpoint, port int, proto Protocol) bool {
	return e.Explain(src, dst, port, proto).Allowed
}

// decideSide evaluates the policies of pod self in side.Direction against
// the other endpoint; named ports resolve against dst.
func (e *Engine) decideSide(side *Side, self int, other, dst Endpoint, port int, proto Protocol) {
	side.Governed = true
	sel := e.selecting[side.Direction][self]
	side.Isolated = len(sel) > 0
	if !side.Isolated {
		return
	}
	side.Allowed = false
	for _, qi := range sel {
		q := e.policies[qi]
		side.Policies = append(side.Policies, q.ref)
		for ri := range q.rules[side.Direction] {
			r := &q.rules[side.Direction][ri]
			peerIdx, ok := e.matchPeer(q, r, other)
			if !ok {
				continue
			}
			ref := RuleRef{Policy: q.ref, Direction: side.Direction, Rule: r.index, Peer: peerIdx, Port: -1, Path: r.path.String()}
			portIdx, ok := e.matchPort(r, dst, port, proto)
			ref.Port = portIdx
			if ok {
				side.AllowedBy = append(side.AllowedBy, ref)
			} else {
				side.PortMismatch = append(side.PortMismatch, ref)
			}
		}
	}
	side.Allowed = len(side.AllowedBy) > 0
}

// matchPeer returns the first peer of r matching the endpoint (-1 for a
// rule without peers).
func (e *Engine) matchPeer(q *policy, r *rule, ep Endpoint) (int, bool) {
	if r.allPeers {
		return -1, true
	}
	for i := range r.peers {
		pr := &r.peers[i]
		if ep.IsPod() {
			if e.peerMatchesPod(q, pr, ep.Pod) {
				return pr.index, true
			}
		} else if pr.ip != nil && !pr.none && pr.ip.contains(ep.IP) {
			return pr.index, true
		}
	}
	return 0, false
}

// matchPort returns the first ports entry of r allowing port/proto towards
// dst (-1 for a rule without ports).
func (e *Engine) matchPort(r *rule, dst Endpoint, port int, proto Protocol) (int, bool) {
	if r.allPorts {
		return -1, true
	}
	d := -1
	if dst.IsPod() {
		d = dst.Pod
	}
	for i := range r.ports {
		if e.entryPorts(&r.ports[i], d).Contains(proto, port) {
			return r.ports[i].index, true
		}
	}
	return 0, false
}

func (e *Engine) notes(src, dst Endpoint) []string {
	var out []string
	if src.IsPod() && src == dst {
		out = append(out, "source and destination are the same workload: this is traffic between its replicas (a pod reaching itself is not consistently governed by network plugins)")
	}
	for k, ep := range []Endpoint{src, dst} {
		if !ep.IsPod() {
			continue
		}
		other, dir := dst, Ingress
		if k == 1 {
			other, dir = src, Egress
		}
		p := &e.pods[ep.Pod]
		if p.HostNetwork {
			out = append(out, fmt.Sprintf("%s uses the host network: NetworkPolicy behaviour for host-network pods is undefined, most plugins treat them as the node", p.ID()))
		}
		if !e.ns[e.podNs[ep.Pod]].declared {
			out = append(out, fmt.Sprintf("namespace %s is not in the input: only its kubernetes.io/metadata.name label is known to namespaceSelectors", p.Namespace))
		}
		if len(p.IPs) == 0 && other.IsPod() && e.hasIPBlockPeers(other.Pod, dir) {
			out = append(out, fmt.Sprintf("the IP of %s is unknown, so ipBlock peers are not matched against it", p.ID()))
		}
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// AllowedPorts returns every port src may open on dst, evaluated directly
// from the rules like Explain.
func (e *Engine) AllowedPorts(src, dst Endpoint) PortSet {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := AllPorts()
	if src.IsPod() {
		out = out.Intersect(e.sidePorts(Egress, src.Pod, dst, dst))
	}
	if dst.IsPod() {
		out = out.Intersect(e.sidePorts(Ingress, dst.Pod, src, dst))
	}
	return out
}

func (e *Engine) sidePorts(d Direction, self int, other, dst Endpoint) PortSet {
	sel := e.selecting[d][self]
	if len(sel) == 0 {
		return AllPorts()
	}
	di := -1
	if dst.IsPod() {
		di = dst.Pod
	}
	var s PortSet
	for _, qi := range sel {
		q := e.policies[qi]
		for ri := range q.rules[d] {
			r := &q.rules[d][ri]
			if _, ok := e.matchPeer(q, r, other); ok {
				s = s.Union(e.rulePorts(r, di))
			}
		}
	}
	return s
}

// hasIPBlockPeers reports whether a rule deciding pod's side in d has an
// ipBlock peer, which could match the other pod by its IP.
func (e *Engine) hasIPBlockPeers(pod int, d Direction) bool {
	for _, qi := range e.selecting[d][pod] {
		for _, r := range e.policies[qi].rules[d] {
			for _, pr := range r.peers {
				if pr.ip != nil {
					return true
				}
			}
		}
	}
	return false
}
