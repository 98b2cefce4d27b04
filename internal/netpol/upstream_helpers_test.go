package netpol

// Test doubles of the helpers of k8s.io/kubernetes test/e2e/network/netpol
// (model.go, policies.go, reachability.go, truthtable.go), kept close to the
// originals so the ported scenarios read like upstream.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	protocolTCP  = corev1.ProtocolTCP
	protocolUDP  = corev1.ProtocolUDP
	protocolSCTP = corev1.ProtocolSCTP
)

const namespaceLabelKey = "kubernetes.io/metadata.name"

// model is the cluster of one scenario: namespaces x, y, z and the pods
// "ns/name" it lists, each serving every port on every protocol with the
// named ports serve-PORT-proto, as upstream's Pod.ContainerSpecs does.
type model struct {
	pods      []string
	ports     []int32
	protocols []corev1.Protocol
	nsLabels  map[string]map[string]string // extra namespace labels (static end states)
	podLabels map[string]map[string]string // extra pod labels (static end states)
}

func (m *model) input(policies ...*networkingv1.NetworkPolicy) Input {
	var in Input
	for _, ns := range []string{"x", "y", "z"} {
		in.Namespaces = append(in.Namespaces, Namespace{Name: ns, Labels: m.nsLabels[ns]})
	}
	for i, ps := range m.pods {
		ns, name, _ := strings.Cut(ps, "/")
		labels := map[string]string{"pod": name}
		for k, v := range m.podLabels[ps] {
			labels[k] = v
		}
		var ctr corev1.Container
		for _, proto := range m.protocols {
			for _, port := range m.ports {
				ctr.Ports = append(ctr.Ports, corev1.ContainerPort{
					Name:          fmt.Sprintf("serve-%d-%s", port, strings.ToLower(string(proto))),
					Protocol:      proto,
					ContainerPort: port,
				})
			}
		}
		kp := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{ctr}},
		}
		p := PodFromSpec("Pod", ns, name, &kp.ObjectMeta, &kp.Spec)
		p.IPs = []netip.Addr{podIP(i)}
		in.Pods = append(in.Pods, p)
	}
	in.Policies = policies
	return in
}

// podIP gives each pod of a model a distinct address, as a cluster would.
func podIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 244, byte(i / 250), byte(i%250 + 2)})
}

func (m *model) ip(pod string) string {
	for i, p := range m.pods {
		if p == pod {
			return podIP(i).String()
		}
	}
	panic("no pod " + pod)
}

// makeLargeCIDRForIP returns the /4 that contains the IP, as upstream does.
func makeLargeCIDRForIP(ip string) string {
	a := netip.MustParseAddr(ip)
	return netip.PrefixFrom(a, 4).Masked().String()
}

type setFunc func(policy *networkingv1.NetworkPolicy)

func genNetworkPolicy(fn ...setFunc) *networkingv1.NetworkPolicy {
	policy := &networkingv1.NetworkPolicy{}
	for _, f := range fn {
		f(policy)
	}
	return policy
}

func genNetworkPolicyWithNameAndPodMatchLabel(name string, targetLabels map[string]string, otherFunc ...setFunc) *networkingv1.NetworkPolicy {
	otherFunc = append(otherFunc, setObjectMetaName(name), setSpecPodSelector(metav1.LabelSelector{MatchLabels: targetLabels}))
	return genNetworkPolicy(otherFunc...)
}

func genNetworkPolicyWithNameAndPodSelector(name string, targetSelector metav1.LabelSelector, otherFunc ...setFunc) *networkingv1.NetworkPolicy {
	otherFunc = append(otherFunc, setObjectMetaName(name), setSpecPodSelector(targetSelector))
	return genNetworkPolicy(otherFunc...)
}

func setObjectMetaName(name string) setFunc {
	return func(policy *networkingv1.NetworkPolicy) { policy.Name = name }
}

func setSpecPodSelector(sel metav1.LabelSelector) setFunc {
	return func(policy *networkingv1.NetworkPolicy) { policy.Spec.PodSelector = sel }
}

func setSpecIngressRules(rules ...networkingv1.NetworkPolicyIngressRule) setFunc {
	return func(policy *networkingv1.NetworkPolicy) {
		if policy.Spec.Ingress == nil {
			policy.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
			policy.Spec.PolicyTypes = append(policy.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		policy.Spec.Ingress = append(policy.Spec.Ingress, rules...)
	}
}

func setSpecEgressRules(rules ...networkingv1.NetworkPolicyEgressRule) setFunc {
	return func(policy *networkingv1.NetworkPolicy) {
		if policy.Spec.Egress == nil {
			policy.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{}
			policy.Spec.PolicyTypes = append(policy.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		policy.Spec.Egress = append(policy.Spec.Egress, rules...)
	}
}

// in places a policy in a namespace, as CreatePolicy(ctx, k8s, policy, ns) does.
func in(ns string, p *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	p.Namespace = ns
	return p
}

func intPort(n int32) *intstr.IntOrString { return &intstr.IntOrString{Type: intstr.Int, IntVal: n} }

func namedPort(s string) *intstr.IntOrString {
	return &intstr.IntOrString{Type: intstr.String, StrVal: s}
}

// peerSpec matches pods by namespace and/or name; empty fields match all.
type peerSpec struct{ Namespace, Pod string }

func (p peerSpec) matches(pod string) bool {
	ns, name, _ := strings.Cut(pod, "/")
	return (p.Namespace == "" || p.Namespace == ns) && (p.Pod == "" || p.Pod == name)
}

// reachability is upstream's expected truth table.
type reachability struct {
	pods     []string
	expected map[string]map[string]bool
}

func newReachability(pods []string, def bool) *reachability {
	r := &reachability{pods: pods, expected: map[string]map[string]bool{}}
	for _, f := range pods {
		r.expected[f] = map[string]bool{}
		for _, t := range pods {
			r.expected[f][t] = def
		}
	}
	return r
}

func (r *reachability) mustHave(pod string) {
	if _, ok := r.expected[pod]; !ok {
		panic("scenario names pod " + pod + " that is not in its model")
	}
}

func (r *reachability) expect(from, to string, v bool) {
	r.mustHave(from)
	r.mustHave(to)
	r.expected[from][to] = v
}

func (r *reachability) expectAllIngress(pod string, v bool) {
	r.mustHave(pod)
	for _, f := range r.pods {
		r.expected[f][pod] = v
	}
}

func (r *reachability) expectAllEgress(pod string, v bool) {
	r.mustHave(pod)
	for _, t := range r.pods {
		r.expected[pod][t] = v
	}
}

func (r *reachability) expectPeer(from, to peerSpec, v bool) {
	for _, f := range r.pods {
		if !from.matches(f) {
			continue
		}
		for _, t := range r.pods {
			if to.matches(t) {
				r.expected[f][t] = v
			}
		}
	}
}

// probe is one ValidateOrFail call: a port, a protocol and the table.
type probe struct {
	port  int
	proto corev1.Protocol
	want  *reachability
}

// validate compares the engine with the expected table for every ordered
// pair except loopback (ignored upstream too, see ignoreLoopback), through
// both Explain and the Matrix, so the two code paths check each other.
func validate(t *testing.T, eng *Engine, m *Matrix, p probe) {
	t.Helper()
	proto, ok := ParseProtocol(string(p.proto))
	if !ok {
		t.Fatalf("bad protocol %q", p.proto)
	}
	idx := map[string]int{}
	for i, pod := range eng.Pods() {
		idx[pod.Namespace+"/"+pod.Name] = i // upstream names pods namespace/name
	}
	var wrong []string
	for _, from := range p.want.pods {
		for _, to := range p.want.pods {
			if from == to {
				continue
			}
			want := p.want.expected[from][to]
			s, d := idx[from], idx[to]
			got := eng.Explain(PodEndpoint(s), PodEndpoint(d), p.port, proto)
			ports, _ := m.Allowed(s, d)
			inMatrix := ports.Contains(proto, p.port)
			if got.Allowed != want || inMatrix != want {
				wrong = append(wrong, fmt.Sprintf("%s -> %s %d/%s: want %v, explain %v (egress: %s; ingress: %s), matrix %v (%s)",
					from, to, p.port, proto, want, got.Allowed, got.Egress.Reason(), got.Ingress.Reason(), inMatrix, ports))
			}
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d wrong results in reachability matrix:\n  %s", len(wrong), strings.Join(wrong, "\n  "))
	}
}
