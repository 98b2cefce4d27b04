package gen

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/netpol"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Gap is a difference between wanted and allowed ports of one pair.
type Gap struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Ports netpol.PortSet `json:"ports"`
}

func (g Gap) String() string { return fmt.Sprintf("%s -> %s %s", g.From, g.To, g.Ports) }

// Proof is the engine's verdict on generated policies: for every pair of
// endpoints with at least one pod in scope, the allowed ports equal the
// wanted ones (the declared connections plus DNS).
type Proof struct {
	Exact   bool     `json:"exact"`
	Pairs   int      `json:"pairs"`
	Missing []Gap    `json:"missing,omitempty"` // wanted, not allowed
	Extra   []Gap    `json:"extra,omitempty"`   // allowed, not wanted
	Assumed []string `json:"assumed,omitempty"`
}

// Prove evaluates the policies (alone, as if they replaced all others)
// over the namespaces and pods of in.
func Prove(in netpol.Input, spec *Spec, res *Result) (*Proof, error) {
	pr := &Proof{}
	work := netpol.Input{Namespaces: in.Namespaces, Pods: append([]netpol.Pod(nil), in.Pods...), Policies: res.Policies}
	dnsSel := labels.SelectorFromSet(labels.Set{DNSLabel: DNSValue})
	if spec.DNSEnabled() {
		found := false
		for _, p := range work.Pods {
			found = found || p.Namespace == DNSNamespace && dnsSel.Matches(labels.Set(p.Labels))
		}
		if !found {
			work.Pods = append(work.Pods, netpol.Pod{
				Namespace: DNSNamespace, Kind: "Deployment", Name: "coredns", Labels: map[string]string{DNSLabel: DNSValue},
				Ports: []netpol.ContainerPort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}, {Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP}},
			})
			pr.Assumed = append(pr.Assumed, "kube-system/Deployment/coredns with label k8s-app=kube-dns (not in the input)")
		}
	}
	e := netpol.New(work)
	for _, p := range e.Problems() {
		if p.Rejected {
			return nil, fmt.Errorf("generated policy is invalid: %s", p)
		}
	}
	conns, err := resolveAll(e, spec)
	if err != nil {
		return nil, err
	}
	inScope := map[string]bool{}
	for _, ns := range res.Scope {
		inScope[ns] = true
	}
	m := e.Matrix()
	pods := e.Pods()
	scoped := func(i int) bool { return i < m.PodCount() && inScope[pods[i].Namespace] }
	dnsPorts := netpol.Ports(netpol.UDP, 53, 53).Union(netpol.Ports(netpol.TCP, 53, 53))
	for s := range m.Len() {
		for d := range m.Len() {
			allowed, ok := m.Allowed(s, d)
			if !ok || (!scoped(s) && !scoped(d)) {
				continue
			}
			pr.Pairs++
			want := netpol.NoPorts()
			for ci := range conns {
				if matches(e, m, &conns[ci][0], s) && matches(e, m, &conns[ci][1], d) {
					want = want.Union(wanted(spec.Connections[ci].Ports, m, pods, d))
				}
			}
			if spec.DNSEnabled() && s < m.PodCount() && d < m.PodCount() &&
				pods[d].Namespace == DNSNamespace && dnsSel.Matches(labels.Set(pods[d].Labels)) {
				want = want.Union(dnsPorts)
			}
			if miss := want.Subtract(allowed); !miss.IsEmpty() {
				pr.Missing = append(pr.Missing, Gap{m.Name(s), m.Name(d), miss})
			}
			if extra := allowed.Subtract(want); !extra.IsEmpty() {
				pr.Extra = append(pr.Extra, Gap{m.Name(s), m.Name(d), extra})
			}
		}
	}
	pr.Exact = len(pr.Missing) == 0 && len(pr.Extra) == 0
	return pr, nil
}

// matches reports whether matrix endpoint i is in a resolved peer.
func matches(e *netpol.Engine, m *netpol.Matrix, r *resolved, i int) bool {
	if r.peer.isCIDR() {
		ep := m.Endpoint(i)
		if ep.IsPod() {
			return false
		}
		if !r.cidr.Contains(ep.IP) {
			return false
		}
		for _, ex := range r.except {
			if ex.Contains(ep.IP) {
				return false
			}
		}
		return true
	}
	if i >= m.PodCount() {
		return false
	}
	p := e.Pods()[i]
	if p.Namespace != r.peer.Namespace {
		return false
	}
	if r.pods != nil {
		for _, pi := range r.pods {
			if pi == i {
				return true
			}
		}
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(r.selector)
	return err == nil && sel.Matches(labels.Set(p.Labels))
}

// wanted resolves declared ports against destination d, named ports
// through its container ports as the engine does.
func wanted(specs []string, m *netpol.Matrix, pods []netpol.Pod, d int) netpol.PortSet {
	if len(specs) == 0 {
		return netpol.AllPorts()
	}
	out := netpol.NoPorts()
	for _, s := range specs {
		ps, err := netpol.ParsePortSpec(s)
		if err != nil {
			continue // Parse rejected it already
		}
		if ps.Name == "" {
			out = out.Union(netpol.Ports(ps.Protocol, ps.Lo, ps.Hi))
			continue
		}
		if d >= m.PodCount() {
			continue
		}
		for _, cp := range pods[d].Ports {
			if cp.Name == ps.Name && string(cp.Protocol) == ps.Protocol.String() {
				out = out.Union(netpol.Ports(ps.Protocol, int(cp.Port), int(cp.Port)))
			}
		}
	}
	return out
}
