package netpol

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// gen draws random but valid inputs from a small vocabulary, so that
// selectors often match and rules often overlap.
type gen struct{ r *rand.Rand }

var (
	genNamespaces = []string{"a", "b", "c"}
	genKeys       = []string{"app", "tier"}
	genValues     = []string{"x", "y", "z"}
	genNames      = []string{"http", "metrics"}
	genProtocols  = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	genCIDRs      = []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "192.168.0.0/16", "0.0.0.0/0", "2001:db8::/32", "169.254.169.254/32"}
)

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g gen) labels() map[string]string {
	l := map[string]string{}
	for _, k := range genKeys {
		if g.r.IntN(3) > 0 {
			l[k] = g.pick(genValues)
		}
	}
	return l
}

func (g gen) selector() *metav1.LabelSelector {
	s := &metav1.LabelSelector{}
	switch g.r.IntN(4) {
	case 0: // empty: everything
	case 1:
		s.MatchLabels = map[string]string{g.pick(genKeys): g.pick(genValues)}
	case 2:
		ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
		op := ops[g.r.IntN(len(ops))]
		req := metav1.LabelSelectorRequirement{Key: g.pick(genKeys), Operator: op}
		if op == metav1.LabelSelectorOpIn || op == metav1.LabelSelectorOpNotIn {
			req.Values = []string{g.pick(genValues), g.pick(genValues)}
		}
		s.MatchExpressions = []metav1.LabelSelectorRequirement{req}
	case 3:
		s.MatchLabels = map[string]string{corev1.LabelMetadataName: g.pick(genNamespaces)}
	}
	return s
}

func (g gen) peer() networkingv1.NetworkPolicyPeer {
	switch g.r.IntN(4) {
	case 0:
		return networkingv1.NetworkPolicyPeer{PodSelector: g.selector()}
	case 1:
		return networkingv1.NetworkPolicyPeer{NamespaceSelector: g.selector()}
	case 2:
		return networkingv1.NetworkPolicyPeer{PodSelector: g.selector(), NamespaceSelector: g.selector()}
	}
	b := &networkingv1.IPBlock{CIDR: g.pick(genCIDRs)}
	if b.CIDR == "10.0.0.0/8" && g.r.IntN(2) == 0 {
		b.Except = []string{"10.1.0.0/16"}
	}
	return networkingv1.NetworkPolicyPeer{IPBlock: b}
}

func (g gen) port() networkingv1.NetworkPolicyPort {
	var p networkingv1.NetworkPolicyPort
	if g.r.IntN(2) == 0 {
		proto := genProtocols[g.r.IntN(len(genProtocols))]
		p.Protocol = &proto
	}
	switch g.r.IntN(4) {
	case 0: // protocol only
	case 1:
		p.Port = &intstr.IntOrString{Type: intstr.String, StrVal: g.pick(genNames)}
	case 2:
		p.Port = &intstr.IntOrString{IntVal: int32(78 + g.r.IntN(6))}
	case 3:
		lo := int32(78 + g.r.IntN(6))
		end := lo + int32(g.r.IntN(4))
		p.Port, p.EndPort = &intstr.IntOrString{IntVal: lo}, &end
	}
	return p
}

func (g gen) peersAndPorts() ([]networkingv1.NetworkPolicyPeer, []networkingv1.NetworkPolicyPort) {
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	for range g.r.IntN(3) {
		peers = append(peers, g.peer())
	}
	for range g.r.IntN(3) {
		ports = append(ports, g.port())
	}
	return peers, ports
}

func (g gen) ingressRule() networkingv1.NetworkPolicyIngressRule {
	peers, ports := g.peersAndPorts()
	return networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports}
}

func (g gen) egressRule() networkingv1.NetworkPolicyEgressRule {
	peers, ports := g.peersAndPorts()
	return networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports}
}

func (g gen) policy(i int) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: g.pick(genNamespaces)}}
	np.Spec.PodSelector = *g.selector()
	for range g.r.IntN(3) {
		np.Spec.Ingress = append(np.Spec.Ingress, g.ingressRule())
	}
	for range g.r.IntN(3) {
		np.Spec.Egress = append(np.Spec.Egress, g.egressRule())
	}
	switch g.r.IntN(4) {
	case 0: // defaulted
	case 1:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	return np
}

func (g gen) input() Input {
	var in Input
	for _, ns := range genNamespaces {
		if g.r.IntN(4) > 0 {
			in.Namespaces = append(in.Namespaces, Namespace{Name: ns, Labels: g.labels()})
		}
	}
	for i := range 3 + g.r.IntN(6) {
		p := Pod{Namespace: g.pick(genNamespaces), Kind: "Deployment", Name: fmt.Sprintf("w%d", i), Labels: g.labels()}
		for _, name := range genNames {
			if g.r.IntN(2) == 0 {
				p.Ports = append(p.Ports, ContainerPort{Name: name, Port: int32(78 + g.r.IntN(6)), Protocol: genProtocols[g.r.IntN(len(genProtocols))]})
			}
		}
		if g.r.IntN(3) == 0 {
			p.IPs = []netip.Addr{netip.AddrFrom4([4]byte{10, byte(g.r.IntN(3)), 2, byte(i + 1)})}
		}
		in.Pods = append(in.Pods, p)
	}
	for i := range g.r.IntN(6) {
		in.Policies = append(in.Policies, g.policy(i))
	}
	return in
}

const propertyRuns = 300

func forRandomInputs(t *testing.T, seed uint64, f func(t *testing.T, g gen, in Input)) {
	for i := range propertyRuns {
		g := gen{rand.New(rand.NewPCG(seed, uint64(i)))}
		in := g.input()
		t.Run(fmt.Sprint(i), func(t *testing.T) { f(t, g, in) })
	}
}

// probeEndpoints are the pods and an address of every external class, of
// both engines, so connectivity before and after a change is compared on
// the same endpoints.
func probeEndpoints(es ...*Engine) []Endpoint {
	var out []Endpoint
	for i := range es[0].pods {
		out = append(out, PodEndpoint(i))
	}
	seen := map[netip.Addr]bool{}
	for _, e := range es {
		for _, x := range e.Externals() {
			if !seen[x.Representative] {
				seen[x.Representative] = true
				out = append(out, IPEndpoint(x.Representative))
			}
		}
	}
	return out
}

// TestPropertyMatrixMatchesExplain: the matrix, AllowedPorts and Explain are
// three evaluations of the same rules and must agree on random inputs.
func TestPropertyMatrixMatchesExplain(t *testing.T) {
	forRandomInputs(t, 1, func(t *testing.T, _ gen, in Input) {
		e := New(in)
		for _, p := range e.Problems() {
			if p.Rejected {
				t.Fatalf("generator made an invalid policy: %v", p)
			}
		}
		checkMatrixMatchesExplain(t, e)
		m := e.Matrix()
		for s := range m.Len() {
			for d := range m.Len() {
				if set, ok := m.Allowed(s, d); ok && !set.Equal(e.AllowedPorts(m.Endpoint(s), m.Endpoint(d))) {
					t.Fatalf("%s -> %s: matrix %s, AllowedPorts %s", m.Name(s), m.Name(d), set, e.AllowedPorts(m.Endpoint(s), m.Endpoint(d)))
				}
			}
		}
	})
}

// TestPropertyAddingRuleNeverRemoves: a rule added to a policy in a
// direction the policy already governs only adds connections. (Adding the
// first egress rule to a policy without policyTypes is not such a change:
// the defaulting then makes the policy govern egress, which isolates.)
func TestPropertyAddingRuleNeverRemoves(t *testing.T) {
	forRandomInputs(t, 2, func(t *testing.T, g gen, in Input) {
		if len(in.Policies) == 0 {
			in.Policies = append(in.Policies, g.policy(0))
		}
		before := New(in)
		q := in.Policies[g.r.IntN(len(in.Policies))].DeepCopy()
		governs := before.policies[0].affects // same order as input
		for _, p := range before.policies {
			if p.ref.Name == q.Name {
				governs = p.affects
			}
		}
		switch {
		case governs[Ingress] && (!governs[Egress] || g.r.IntN(2) == 0):
			q.Spec.Ingress = append(q.Spec.Ingress, g.ingressRule())
		case governs[Egress]:
			q.Spec.Egress = append(q.Spec.Egress, g.egressRule())
		default:
			t.Skip("policy governs no direction") // cannot happen: Ingress is the default
		}
		after := in
		after.Policies = append([]*networkingv1.NetworkPolicy(nil), in.Policies...)
		for i, p := range after.Policies {
			if p.Name == q.Name {
				after.Policies[i] = q
			}
		}
		ae := New(after)
		for _, s := range probeEndpoints(before, ae) {
			for _, d := range probeEndpoints(before, ae) {
				if !s.IsPod() && !d.IsPod() {
					continue
				}
				b, a := before.AllowedPorts(s, d), ae.AllowedPorts(s, d)
				if !b.SubsetOf(a) {
					t.Fatalf("adding a rule to %s removed %s -> %s %s (before %s, after %s)", q.Name, before.Name(s), before.Name(d), b.Subtract(a), b, a)
				}
			}
		}
	})
}

// TestPropertyDefaultDeny: adding a deny-all policy for a direction to a
// namespace removes every connection in that direction of its pods that no
// other policy allows, and changes nothing else.
func TestPropertyDefaultDeny(t *testing.T) {
	forRandomInputs(t, 3, func(t *testing.T, g gen, in Input) {
		ns := g.pick(genNamespaces)
		dir := Direction(g.r.IntN(2))
		deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "zz-deny", Namespace: ns}}
		deny.Spec.PolicyTypes = []networkingv1.PolicyType{map[Direction]networkingv1.PolicyType{Ingress: networkingv1.PolicyTypeIngress, Egress: networkingv1.PolicyTypeEgress}[dir]}
		// Without the other policies of the namespace, the deny must remove
		// everything on its side of its pods and change nothing else.
		var others []*networkingv1.NetworkPolicy
		for _, p := range in.Policies {
			if p.Namespace != ns {
				others = append(others, p)
			}
		}
		base := in
		base.Policies = others
		withDeny := base
		withDeny.Policies = append(append([]*networkingv1.NetworkPolicy(nil), others...), deny)
		be, de := New(base), New(withDeny)
		eps := probeEndpoints(be, de)
		for _, s := range eps {
			for _, d := range eps {
				if !s.IsPod() && !d.IsPod() {
					continue
				}
				self := s
				if dir == Ingress {
					self = d
				}
				got := de.AllowedPorts(s, d)
				if self.IsPod() && de.pods[self.Pod].Namespace == ns {
					if !got.IsEmpty() {
						t.Fatalf("deny-all %s in %s leaves %s -> %s %s", dir, ns, de.Name(s), de.Name(d), got)
					}
				} else if want := be.AllowedPorts(s, d); !got.Equal(want) {
					t.Fatalf("deny-all %s in %s changed %s -> %s: %s, was %s", dir, ns, de.Name(s), de.Name(d), got, want)
				}
			}
		}
		// With all policies, the deny never adds, and it changes nothing for
		// pods that were already isolated in that direction.
		full := in
		full.Policies = append(append([]*networkingv1.NetworkPolicy(nil), in.Policies...), deny)
		fe, ie := New(full), New(in)
		for _, s := range probeEndpoints(fe, ie) {
			for _, d := range probeEndpoints(fe, ie) {
				if !s.IsPod() && !d.IsPod() {
					continue
				}
				b, a := ie.AllowedPorts(s, d), fe.AllowedPorts(s, d)
				if !a.SubsetOf(b) {
					t.Fatalf("deny-all added %s -> %s %s", ie.Name(s), ie.Name(d), a.Subtract(b))
				}
				self := s
				if dir == Ingress {
					self = d
				}
				if self.IsPod() && ie.Isolated(self.Pod, dir) && !a.Equal(b) {
					t.Fatalf("deny-all changed %s -> %s although %s was already isolated: %s -> %s", ie.Name(s), ie.Name(d), ie.Name(self), b, a)
				}
			}
		}
	})
}
