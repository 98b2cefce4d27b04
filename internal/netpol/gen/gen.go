package gen

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/netpol"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Namespaces that never get a default deny unless listed explicitly: their
// pods (the DNS server among them) serve the whole cluster.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// DNS is where pods resolve names: kube-dns (CoreDNS keeps the label).
const (
	DNSNamespace = "kube-system"
	DNSLabel     = "k8s-app"
	DNSValue     = "kube-dns"
)

// Result is the generated policies and what a reader must know about them.
type Result struct {
	Policies []*networkingv1.NetworkPolicy
	Scope    []string // namespaces given a default deny
	Warnings []string
}

// resolved is a connection peer resolved against the input.
type resolved struct {
	peer     Peer
	pods     []int // workload: exactly its pods; otherwise nil
	selector *metav1.LabelSelector
	cidr     netip.Prefix
	except   []netip.Prefix
}

// Generate writes the policies for spec over the namespaces and pods of in
// (its policies are ignored: the output replaces them).
func Generate(in netpol.Input, spec *Spec) (*Result, error) {
	e := netpol.New(netpol.Input{Namespaces: in.Namespaces, Pods: in.Pods})
	res := &Result{Scope: scope(e, spec)}
	inScope := map[string]bool{}
	for _, ns := range res.Scope {
		inScope[ns] = true
	}
	conns, err := resolveAll(e, spec)
	if err != nil {
		return nil, err
	}

	byKey := map[string]*networkingv1.NetworkPolicy{}
	var order []string
	policyFor := func(r *resolved) *networkingv1.NetworkPolicy {
		key := r.peer.Namespace + "\x00" + metav1.FormatLabelSelector(r.selector)
		if np, ok := byKey[key]; ok {
			return np
		}
		np := NewPolicy(r.peer.Namespace, "allow-"+policyName(r), *r.selector.DeepCopy())
		byKey[key] = np
		order = append(order, key)
		return np
	}
	for i, c := range conns {
		ports, err := policyPorts(spec.Connections[i].Ports)
		if err != nil {
			return nil, err
		}
		if !c[0].peer.isCIDR() && inScope[c[0].peer.Namespace] {
			np := policyFor(&c[0])
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{peerOf(&c[1], c[0].peer.Namespace)}, Ports: ports})
		}
		if !c[1].peer.isCIDR() && inScope[c[1].peer.Namespace] {
			np := policyFor(&c[1])
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{peerOf(&c[0], c[1].peer.Namespace)}, Ports: ports})
		}
		if (c[0].peer.isCIDR() || !inScope[c[0].peer.Namespace]) && (c[1].peer.isCIDR() || !inScope[c[1].peer.Namespace]) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("connection %d (%s -> %s) has no end in scope %v: nothing to write for it", i, c[0].peer, c[1].peer, res.Scope))
		}
	}

	for _, ns := range res.Scope {
		deny := NewPolicy(ns, "default-deny", metav1.LabelSelector{})
		deny.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		res.Policies = append(res.Policies, deny)
		if spec.DNSEnabled() {
			res.Policies = append(res.Policies, dnsEgress(ns))
			if ns == DNSNamespace {
				res.Policies = append(res.Policies, dnsIngress())
				res.Warnings = append(res.Warnings, "kube-system is in scope: kube-dns may still resolve cluster names, but its own egress to upstream resolvers and the API server is denied unless declared")
			}
		}
	}
	names := map[string]int{}
	for _, np := range res.Policies {
		names[np.Namespace+"/"+np.Name]++
	}
	for _, k := range order {
		np := byKey[k]
		np.Spec.PolicyTypes = nil
		if len(np.Spec.Ingress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		// Keep names unique within a namespace.
		base := np.Name
		for n := 2; names[np.Namespace+"/"+np.Name] > 0; n++ {
			np.Name = fmt.Sprintf("%s-%d", base, n)
		}
		names[np.Namespace+"/"+np.Name]++
		res.Policies = append(res.Policies, np)
	}
	return res, nil
}

// NewPolicy is a policy labelled as kubeward's.
func NewPolicy(ns, name string, sel metav1.LabelSelector) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			"app.kubernetes.io/managed-by": "kubeward",
		}},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: sel},
	}
}

func dnsPorts() []networkingv1.NetworkPolicyPort {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	p := intstr.FromInt32(53)
	return []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &p}, {Protocol: &tcp, Port: &p}}
}

func dnsEgress(ns string) *networkingv1.NetworkPolicy {
	np := NewPolicy(ns, "allow-dns-egress", metav1.LabelSelector{})
	np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{DNSEgressRule()}
	return np
}

// DNSEgressRule allows DNS (53/UDP and 53/TCP) to kube-dns.
func DNSEgressRule() networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: DNSNamespace}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{DNSLabel: DNSValue}},
		}},
		Ports: dnsPorts(),
	}
}

func dnsIngress() *networkingv1.NetworkPolicy {
	np := NewPolicy(DNSNamespace, "allow-dns-ingress", metav1.LabelSelector{MatchLabels: map[string]string{DNSLabel: DNSValue}})
	np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
		Ports: dnsPorts(),
	}}
	return np
}

// scope is the namespaces that get a default deny.
func scope(e *netpol.Engine, spec *Spec) []string {
	if len(spec.Namespaces) > 0 {
		out := append([]string(nil), spec.Namespaces...)
		sort.Strings(out)
		return out
	}
	seen := map[string]bool{}
	for _, p := range e.Pods() {
		if !systemNamespaces[p.Namespace] {
			seen[p.Namespace] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

func resolveAll(e *netpol.Engine, spec *Spec) ([][2]resolved, error) {
	out := make([][2]resolved, len(spec.Connections))
	for i, c := range spec.Connections {
		for j, p := range []Peer{c.From, c.To} {
			r, err := resolve(e, p)
			if err != nil {
				return nil, fmt.Errorf("connections[%d].%s: %w", i, []string{"from", "to"}[j], err)
			}
			out[i][j] = r
		}
	}
	return out, nil
}

func resolve(e *netpol.Engine, p Peer) (resolved, error) {
	r := resolved{peer: p}
	switch {
	case p.isCIDR():
		var err error
		if r.cidr, err = netip.ParsePrefix(p.CIDR); err != nil {
			return r, err
		}
		for _, s := range p.Except {
			ex, err := netip.ParsePrefix(s)
			if err != nil {
				return r, err
			}
			r.except = append(r.except, ex)
		}
	case p.Workload != "":
		kind, name, hasKind := strings.Cut(p.Workload, "/")
		if !hasKind {
			kind, name = "", p.Workload
		}
		var labels map[string]string
		for i, pod := range e.Pods() {
			if pod.Namespace == p.Namespace && pod.Name == name && (kind == "" || strings.EqualFold(kind, pod.Kind)) {
				if r.pods != nil {
					return r, fmt.Errorf("workload %s/%s is ambiguous: name it Kind/name", p.Namespace, p.Workload)
				}
				r.pods = []int{i}
				labels = pod.Labels
				r.selector = pod.Selector
			}
		}
		if r.pods == nil {
			return r, fmt.Errorf("no workload %s in namespace %s", p.Workload, p.Namespace)
		}
		if r.selector == nil || len(r.selector.MatchLabels)+len(r.selector.MatchExpressions) == 0 {
			if len(labels) == 0 {
				return r, fmt.Errorf("workload %s/%s has no labels, so no NetworkPolicy can select it alone", p.Namespace, p.Workload)
			}
			r.selector = &metav1.LabelSelector{MatchLabels: labels}
		}
	case p.PodSelector != nil:
		r.selector = p.PodSelector
	default:
		r.selector = &metav1.LabelSelector{}
	}
	return r, nil
}

func peerOf(r *resolved, policyNs string) networkingv1.NetworkPolicyPeer {
	if r.peer.isCIDR() {
		return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: r.peer.CIDR, Except: r.peer.Except}}
	}
	peer := networkingv1.NetworkPolicyPeer{PodSelector: r.selector.DeepCopy()}
	if r.peer.Namespace != policyNs {
		peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: r.peer.Namespace}}
	}
	return peer
}

func policyPorts(specs []string) ([]networkingv1.NetworkPolicyPort, error) {
	var out []networkingv1.NetworkPolicyPort
	for _, s := range specs {
		ps, err := netpol.ParsePortSpec(s)
		if err != nil {
			return nil, err
		}
		proto := ps.Protocol.Core()
		pp := networkingv1.NetworkPolicyPort{Protocol: &proto}
		switch {
		case ps.Name != "":
			v := intstr.FromString(ps.Name)
			pp.Port = &v
		case ps.Lo == netpol.MinPort && ps.Hi == netpol.MaxPort:
		default:
			v := intstr.FromInt32(int32(ps.Lo))
			pp.Port = &v
			if ps.Hi != ps.Lo {
				end := int32(ps.Hi)
				pp.EndPort = &end
			}
		}
		out = append(out, pp)
	}
	return out, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// policyName derives a DNS-1123 name from what the policy selects.
func policyName(r *resolved) string {
	var s string
	switch {
	case r.peer.Workload != "":
		_, name, ok := strings.Cut(r.peer.Workload, "/")
		if !ok {
			name = r.peer.Workload
		}
		s = name
	case len(r.selector.MatchLabels)+len(r.selector.MatchExpressions) == 0:
		s = "all-pods"
	default:
		s = metav1.FormatLabelSelector(r.selector)
	}
	return Name(s)
}

// Name makes a DNS-1123 policy name (at most 50 characters, leaving room
// for a suffix) of s.
func Name(s string) string {
	s = strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "-")
	}
	if s == "" {
		s = "pods"
	}
	return s
}
