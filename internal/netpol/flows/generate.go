package flows

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/gen"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// controllerLabels are added to pods by their controllers and change with
// every rollout, run or replica: a selector on them would stop matching.
var controllerLabels = map[string]bool{
	"pod-template-hash":                        true,
	"controller-revision-hash":                 true,
	"pod-template-generation":                  true,
	"statefulset.kubernetes.io/pod-name":       true,
	"apps.kubernetes.io/pod-index":             true,
	"controller-uid":                           true,
	"job-name":                                 true,
	"batch.kubernetes.io/controller-uid":       true,
	"batch.kubernetes.io/job-name":             true,
	"batch.kubernetes.io/job-completion-index": true,
}

// systemNamespaces get no generated policy: their pods (kube-dns among
// them) serve the whole cluster, and a window of flows rarely shows all
// their clients.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// Options tune generation.
type Options struct {
	// IPv4Bits and IPv6Bits are the prefix lengths of the ipBlocks of
	// addresses outside the pods (default 32 and 128: each address).
	IPv4Bits, IPv6Bits int
}

type port struct {
	proto netpol.Protocol
	port  int
}

// peer is a workload (namespace/Kind/name) or an address range.
type peer struct {
	workload string
	cidr     netip.Prefix
}

type workload struct {
	namespace, kind, name string
	labels                map[string]string // the labels every observed pod had, less controllers'
	seenLabels            bool
	in, out               map[peer]map[port]bool
	dns                   bool
}

// Generator collects flow records into per-workload policies.
type Generator struct {
	o         Options
	workloads map[string]*workload
	warnings  map[string]bool
	records   int
}

// NewGenerator validates o.
func NewGenerator(o Options) (*Generator, error) {
	if o.IPv4Bits == 0 {
		o.IPv4Bits = 32
	}
	if o.IPv6Bits == 0 {
		o.IPv6Bits = 128
	}
	if o.IPv4Bits < 0 || o.IPv4Bits > 32 || o.IPv6Bits < 0 || o.IPv6Bits > 128 {
		return nil, fmt.Errorf("prefix lengths %d (IPv4) and %d (IPv6): want 0-32 and 0-128", o.IPv4Bits, o.IPv6Bits)
	}
	return &Generator{o: o, workloads: map[string]*workload{}, warnings: map[string]bool{}}, nil
}

// Records is the number of records added.
func (g *Generator) Records() int { return g.records }

func (g *Generator) workload(e *Endpoint) *workload {
	key := e.Key()
	w := g.workloads[key]
	if w == nil {
		kind, name, _ := strings.Cut(e.Workload, "/")
		w = &workload{namespace: e.Namespace, kind: kind, name: name, in: map[peer]map[port]bool{}, out: map[peer]map[port]bool{}}
		g.workloads[key] = w
	}
	if !w.seenLabels {
		w.labels, w.seenLabels = map[string]string{}, true
		for k, v := range e.Labels {
			if !controllerLabels[k] {
				w.labels[k] = v
			}
		}
		return w
	}
	// w.labels holds no controller label: intersect with the pod's own
	// (a label with an empty value is a label: absent is not equal).
	maps.DeleteFunc(w.labels, func(k, v string) bool {
		pv, ok := e.Labels[k]
		return !ok || pv != v
	})
	return w
}

func (g *Generator) peerOf(e *Endpoint) peer {
	if e.IsPod() {
		return peer{workload: e.Key()}
	}
	a := netip.MustParseAddr(e.IP).Unmap()
	bits := g.o.IPv4Bits
	if a.Is6() {
		bits = g.o.IPv6Bits
	}
	p, _ := a.Prefix(bits)
	return peer{cidr: p}
}

func isDNS(r *Record) bool {
	if r.Port != 53 || r.Protocol != "UDP" && r.Protocol != "TCP" {
		return false
	}
	d := &r.Destination
	return !d.IsPod() || d.Namespace == gen.DNSNamespace && d.Labels[gen.DNSLabel] == gen.DNSValue
}

// Add takes one checked record (from Read).
func (g *Generator) Add(r *Record) {
	g.records++
	proto, _ := netpol.ParseProtocol(r.Protocol)
	pt := port{proto, r.Port}
	var src, dst *workload
	if r.Source.IsPod() {
		src = g.workload(&r.Source)
	}
	if r.Destination.IsPod() {
		dst = g.workload(&r.Destination)
	}
	if isDNS(r) && src != nil {
		// Name resolution goes to kube-dns whatever address the pod used
		// (the Service's, or a node-local cache's).
		src.dns = true
		return
	}
	if src != nil {
		switch {
		case r.Destination.Service == "default/kubernetes":
			// Its endpoints are the API servers' host addresses: no pod
			// will ever report the flow inbound.
			g.warnings[fmt.Sprintf("%s → the API server (Service default/kubernetes) %d/%s: not written; allow its endpoints' addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes) with an ipBlock egress rule",
				r.Source.Key(), r.Port, r.Protocol)] = true
		case r.Destination.Service != "" && dst == nil:
			g.warnings[fmt.Sprintf("%s → Service %s %d/%s: the egress rule comes from the inbound records of the Service's pods (run the agent with --flows on their nodes too)",
				r.Source.Key(), r.Destination.Service, r.Port, r.Protocol)] = true
		default:
			add(src.out, g.peerOf(&r.Destination), pt)
		}
	}
	if dst != nil {
		add(dst.in, g.peerOf(&r.Source), pt)
	}
}

func add(m map[peer]map[port]bool, p peer, pt port) {
	if m[p] == nil {
		m[p] = map[port]bool{}
	}
	m[p][pt] = true
}

// Result is the generated policies.
type Result struct {
	Policies []*networkingv1.NetworkPolicy
	Warnings []string
}

// Result writes one policy per workload outside the system namespaces,
// sorted by namespace and name.
func (g *Generator) Result() *Result {
	res := &Result{}
	names := map[string]int{}
	for _, key := range slices.Sorted(maps.Keys(g.workloads)) {
		w := g.workloads[key]
		if systemNamespaces[w.namespace] {
			continue
		}
		if len(w.labels) == 0 {
			g.warnings[fmt.Sprintf("%s: no label common to its pods (beyond controllers'): no policy can select it alone, none written", key)] = true
			continue
		}
		name := gen.Name("observed-" + w.kind + "-" + w.name)
		if n := names[w.namespace+"/"+name]; n > 0 {
			name = fmt.Sprintf("%s-%d", name, n+1)
		}
		names[w.namespace+"/"+name]++
		np := gen.NewPolicy(w.namespace, name, metav1.LabelSelector{MatchLabels: w.labels})
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		for _, p := range sortedPeers(w.in) {
			if np2, ok := g.policyPeer(key, p); ok {
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{np2}, Ports: policyPorts(w.in[p])})
			}
		}
		if w.dns {
			np.Spec.Egress = append(np.Spec.Egress, gen.DNSEgressRule())
		}
		for _, p := range sortedPeers(w.out) {
			if np2, ok := g.policyPeer(key, p); ok {
				np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{np2}, Ports: policyPorts(w.out[p])})
			}
		}
		res.Policies = append(res.Policies, np)
	}
	res.Warnings = slices.Sorted(maps.Keys(g.warnings))
	return res
}

func (g *Generator) policyPeer(self string, p peer) (networkingv1.NetworkPolicyPeer, bool) {
	if p.workload == "" {
		return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: p.cidr.String()}}, true
	}
	w := g.workloads[p.workload]
	if len(w.labels) == 0 {
		g.warnings[fmt.Sprintf("%s: peer %s has no label common to its pods (beyond controllers'): its flows are not allowed", self, p.workload)] = true
		return networkingv1.NetworkPolicyPeer{}, false
	}
	return networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: w.namespace}},
		PodSelector:       &metav1.LabelSelector{MatchLabels: maps.Clone(w.labels)},
	}, true
}

func sortedPeers(m map[peer]map[port]bool) []peer {
	return slices.SortedFunc(maps.Keys(m), func(a, b peer) int {
		// Workloads first, by name; then ranges, by address and length.
		if (a.workload == "") != (b.workload == "") {
			if a.workload == "" {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.workload, b.workload); c != 0 {
			return c
		}
		if c := a.cidr.Addr().Compare(b.cidr.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.cidr.Bits(), b.cidr.Bits())
	})
}

func policyPorts(m map[port]bool) []networkingv1.NetworkPolicyPort {
	ps := slices.SortedFunc(maps.Keys(m), func(a, b port) int {
		return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
	})
	out := make([]networkingv1.NetworkPolicyPort, len(ps))
	for i, p := range ps {
		proto, n := p.proto.Core(), intstr.FromInt32(int32(p.port))
		out[i] = networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &n}
	}
	return out
}
