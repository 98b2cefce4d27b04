package netpol

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	netutils "k8s.io/utils/net"
)

// selector is a compiled, interned label selector.
type selector struct {
	id    int
	sel   labels.Selector
	empty bool   // selects everything
	text  string // for explanations
}

func (s *selector) matches(l labels.Set) bool { return s.sel.Matches(l) }

// selectors interns selectors by their canonical text so that equal
// selectors in different policies share match caches.
type selectors struct {
	byText map[string]*selector
	list   []*selector
}

// compile returns the selector of ls, or one that matches nothing when ls
// does not parse (the API server would have rejected it).
func (ss *selectors) compile(ls *metav1.LabelSelector, path *fieldpath.Path, ps problems) *selector {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		ps.reject(path, "", "invalid label selector: %v%s", err, effectIgnored)
		sel = labels.Nothing()
	}
	text := sel.String()
	if err != nil {
		text = "<invalid " + strconv.Itoa(len(ss.list)) + ">"
	}
	if s, ok := ss.byText[text]; ok {
		return s
	}
	s := &selector{id: len(ss.list), sel: sel, empty: err == nil && sel.Empty(), text: text}
	if s.empty {
		s.text = "{}"
	}
	ss.byText[text] = s
	ss.list = append(ss.list, s)
	return s
}

// ipBlock is a compiled ipBlock peer.
type ipBlock struct {
	cidr   netip.Prefix
	except []netip.Prefix
	id     int // index among all ipBlocks of the engine
}

// contains reports whether addr is in the block and not in an except.
func (b *ipBlock) contains(a netip.Addr) bool {
	if !b.cidr.Contains(a) {
		return false
	}
	for _, e := range b.except {
		if e.Contains(a) {
			return false
		}
	}
	return true
}

func (b *ipBlock) String() string {
	s := b.cidr.String()
	if len(b.except) > 0 {
		ex := make([]string, len(b.except))
		for i, e := range b.except {
			ex[i] = e.String()
		}
		s += " except " + strings.Join(ex, ",")
	}
	return s
}

type peer struct {
	index int
	path  *fieldpath.Path
	pods  *selector // nil: not set
	ns    *selector // nil: not set
	ip    *ipBlock
	// none is set when the peer is invalid and matches nothing.
	none bool
}

type portEntry struct {
	index    int
	proto    Protocol
	lo, hi   int    // numeric range; 1..65535 when the entry has no port
	name     string // named port, resolved per destination pod
	none     bool   // invalid: matches nothing
	hasPort  bool
	explicit bool // protocol was given
}

type rule struct {
	id       int // index among all rules of the engine, for caches
	dir      Direction
	index    int
	path     *fieldpath.Path
	allPeers bool // from/to empty or missing
	peers    []peer
	allPorts bool // ports empty or missing
	ports    []portEntry
	numeric  PortSet // union of the numeric entries
	hasNamed bool
}

type policy struct {
	ref      PolicyRef
	obj      *networkingv1.NetworkPolicy
	sel      *selector
	affects  [2]bool // by Direction: policyTypes contains it
	rules    [2][]rule
	selected []int // indexes of pods the policy selects
}

type compiler struct {
	sels     selectors
	ipBlocks []*ipBlock
	rules    int
	problems []Problem
}

func (c *compiler) policy(idx int, np *networkingv1.NetworkPolicy) *policy {
	ns := np.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	name := np.Name
	if name == "" && np.GenerateName != "" {
		name = np.GenerateName + "*"
	}
	p := &policy{ref: PolicyRef{Namespace: ns, Name: name, Index: idx}, obj: np}
	ps := problems{ref: p.ref, list: &c.problems}
	spec := fieldpath.New("spec")
	p.sel = c.sels.compile(&np.Spec.PodSelector, spec.Child("podSelector"), ps)

	// Defaulting as the API server does: Ingress always, Egress when the
	// policy has egress rules.
	if len(np.Spec.PolicyTypes) == 0 {
		p.affects[Ingress] = true
		p.affects[Egress] = len(np.Spec.Egress) > 0
	} else {
		if len(np.Spec.PolicyTypes) > 2 {
			ps.reject(spec.Child("policyTypes"), "", "may not specify more than two policyTypes")
		}
		for i, t := range np.Spec.PolicyTypes {
			switch t {
			case networkingv1.PolicyTypeIngress:
				p.affects[Ingress] = true
			case networkingv1.PolicyTypeEgress:
				p.affects[Egress] = true
			default:
				ps.reject(spec.Child("policyTypes").Index(i), string(t), "supported values: \"Ingress\", \"Egress\"%s", effectIgnored)
			}
		}
		if !p.affects[Ingress] && len(np.Spec.Ingress) > 0 {
			ps.warn(spec.Child("ingress"), "", "ingress rules have no effect: policyTypes does not list Ingress")
		}
		if !p.affects[Egress] && len(np.Spec.Egress) > 0 {
			ps.warn(spec.Child("egress"), "", "egress rules have no effect: policyTypes does not list Egress")
		}
	}

	for i := range np.Spec.Ingress {
		r := &np.Spec.Ingress[i]
		p.rules[Ingress] = append(p.rules[Ingress], c.rule(Ingress, i, r.From, r.Ports, spec, ps))
	}
	for i := range np.Spec.Egress {
		r := &np.Spec.Egress[i]
		p.rules[Egress] = append(p.rules[Egress], c.rule(Egress, i, r.To, r.Ports, spec, ps))
	}
	return p
}

func (c *compiler) rule(dir Direction, idx int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, spec *fieldpath.Path, ps problems) rule {
	path := spec.Child(dir.field()).Index(idx)
	r := rule{id: c.rules, dir: dir, index: idx, path: path, allPeers: len(peers) == 0, allPorts: len(ports) == 0}
	c.rules++
	for i := range peers {
		r.peers = append(r.peers, c.peer(i, &peers[i], path.Child(dir.peers()).Index(i), ps))
	}
	if r.allPorts {
		r.numeric = AllPorts()
	}
	for i := range ports {
		e := c.port(i, &ports[i], path.Child("ports").Index(i), ps)
		r.ports = append(r.ports, e)
		switch {
		case e.none:
		case e.name != "":
			r.hasNamed = true
		default:
			r.numeric = r.numeric.Union(Ports(e.proto, e.lo, e.hi))
		}
	}
	return r
}

func (c *compiler) peer(idx int, np *networkingv1.NetworkPolicyPeer, path *fieldpath.Path, ps problems) peer {
	p := peer{index: idx, path: path}
	if np.PodSelector != nil {
		p.pods = c.sels.compile(np.PodSelector, path.Child("podSelector"), ps)
	}
	if np.NamespaceSelector != nil {
		p.ns = c.sels.compile(np.NamespaceSelector, path.Child("namespaceSelector"), ps)
	}
	switch {
	case np.IPBlock != nil && (p.pods != nil || p.ns != nil):
		ps.reject(path, "", "may not specify both ipBlock and another peer%s", effectIgnored)
		p.none = true
	case np.IPBlock != nil:
		p.ip = c.ipBlock(np.IPBlock, path.Child("ipBlock"), ps)
		p.none = p.ip == nil
	case p.pods == nil && p.ns == nil:
		ps.reject(path, "", "must specify a peer%s", effectIgnored)
		p.none = true
	}
	return p
}

// ipBlock compiles an ipBlock. CIDRs the API server's legacy parser reads
// but strict validation (on by default since Kubernetes 1.36) rejects are
// reported and evaluated as that parser reads them; CIDRs nothing reads make
// the peer match nothing.
func (c *compiler) ipBlock(b *networkingv1.IPBlock, path *fieldpath.Path, ps problems) *ipBlock {
	if b.CIDR == "" {
		ps.reject(path.Child("cidr"), "", "Required value%s", effectIgnored)
		return nil
	}
	cidr, ok := parseCIDR(b.CIDR, path.Child("cidr"), ps)
	if !ok {
		return nil
	}
	out := &ipBlock{cidr: cidr, id: len(c.ipBlocks)}
	for i, s := range b.Except {
		ep := path.Child("except").Index(i)
		e, ok := parseCIDR(s, ep, ps)
		if !ok {
			continue
		}
		if e.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(e.Addr()) || e.Bits() <= cidr.Bits() {
			ps.reject(ep, s, "must be a strict subset of `cidr` %s", b.CIDR)
		}
		out.except = append(out.except, e)
	}
	c.ipBlocks = append(c.ipBlocks, out)
	return out
}

func parseCIDR(s string, path *fieldpath.Path, ps problems) (netip.Prefix, bool) {
	_, ipnet, err := netutils.ParseCIDRSloppy(s)
	if err != nil {
		ps.reject(path, s, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)%s", effectIgnored)
		return netip.Prefix{}, false
	}
	addr, _ := netip.AddrFromSlice(ipnet.IP)
	ones, _ := ipnet.Mask.Size()
	if addr.Is4In6() && ones >= 96 {
		addr, ones = addr.Unmap(), ones-96
	}
	pfx := netip.PrefixFrom(addr, ones).Masked()
	for _, e := range validation.IsValidCIDRForLegacyField(nil, s, true, nil) {
		ps.reject(path, s, "%s (rejected since Kubernetes 1.36, StrictIPCIDRValidation; older API servers store it and it is read as %s)", e.Detail, pfx)
	}
	return pfx, true
}

func (c *compiler) port(idx int, np *networkingv1.NetworkPolicyPort, path *fieldpath.Path, ps problems) portEntry {
	e := portEntry{index: idx, proto: TCP, lo: MinPort, hi: MaxPort}
	if np.Protocol != nil {
		e.explicit = true
		p, ok := ParseProtocol(string(*np.Protocol))
		if !ok {
			ps.reject(path.Child("protocol"), string(*np.Protocol), "supported values: \"SCTP\", \"TCP\", \"UDP\"%s", effectIgnored)
			e.none = true
		}
		e.proto = p
	}
	if np.Port == nil {
		if np.EndPort != nil {
			ps.reject(path.Child("endPort"), strconv.Itoa(int(*np.EndPort)), "may not be specified when `port` is not specified%s", effectIgnored)
			e.none = true
		}
		return e
	}
	e.hasPort = true
	if np.Port.Type == intstr.String {
		e.name = np.Port.StrVal
		if msg := validPortName(e.name); msg != "" {
			ps.reject(path.Child("port"), e.name, "%s", msg)
		}
		if np.EndPort != nil {
			ps.reject(path.Child("endPort"), strconv.Itoa(int(*np.EndPort)), "may not be specified when `port` is non-numeric%s", effectIgnored)
			e.none = true
		}
		return e
	}
	n := int(np.Port.IntVal)
	e.lo, e.hi = n, n
	if n < MinPort || n > MaxPort {
		ps.reject(path.Child("port"), strconv.Itoa(n), "must be between 1 and 65535, inclusive%s", effectIgnored)
		e.none = true
	}
	if np.EndPort != nil {
		end := int(*np.EndPort)
		switch {
		case end < MinPort || end > MaxPort:
			ps.reject(path.Child("endPort"), strconv.Itoa(end), "must be between 1 and 65535, inclusive%s", effectIgnored)
			e.none = true
		case end < n:
			ps.reject(path.Child("endPort"), strconv.Itoa(end), "must be greater than or equal to `port`%s", effectIgnored)
			e.none = true
		default:
			e.hi = end
		}
	}
	return e
}
