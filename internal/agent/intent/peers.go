package intent

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/agent/event"
)

// Peer is one entry of a workload's baseline of peers: whom it connects
// to, on which port and protocol. Exactly one of Workload, Namespace,
// Service and Address names the peer. Learning writes workloads (the pod
// the cluster watch finds at the address), Services (a cluster address)
// and addresses (anything else); Namespace and CIDRs are for people
// widening a baseline by hand.
type Peer struct {
	// Workload is namespace/Kind/name, as baselines are keyed.
	Workload string `json:"workload,omitempty"`
	// Namespace is any pod of the namespace.
	Namespace string `json:"namespace,omitempty"`
	// Service is namespace/name: the Service's cluster address.
	Service string `json:"service,omitempty"`
	// Address is an IP address or a CIDR.
	Address string `json:"address,omitempty"`
	// Port is the destination port; 0 is any.
	Port uint16 `json:"port,omitempty"`
	// Protocol is TCP or UDP.
	Protocol string `json:"protocol"`
}

func (p *Peer) validate() error {
	n := 0
	for _, s := range []string{p.Workload, p.Namespace, p.Service, p.Address} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("name exactly one of workload, namespace, service and address")
	}
	if p.Protocol != "TCP" && p.Protocol != "UDP" {
		return fmt.Errorf("protocol %q: TCP or UDP", p.Protocol)
	}
	switch {
	case p.Workload != "" && strings.Count(p.Workload, "/") != 2:
		return fmt.Errorf("workload %q: namespace/Kind/name", p.Workload)
	case p.Service != "" && strings.Count(p.Service, "/") != 1:
		return fmt.Errorf("service %q: namespace/name", p.Service)
	case p.Namespace != "" && strings.Contains(p.Namespace, "/"):
		return fmt.Errorf("namespace %q: a name", p.Namespace)
	case p.Address != "":
		if _, err := parsePrefix(p.Address); err != nil {
			return fmt.Errorf("address %q: an IP address or a CIDR", p.Address)
		}
	}
	return nil
}

// parsePrefix reads an address as a one-address prefix, or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}

// name is who the peer is, without port and protocol.
func (p *Peer) name() string {
	switch {
	case p.Workload != "":
		return p.Workload
	case p.Namespace != "":
		return "namespace " + p.Namespace
	case p.Service != "":
		return "service " + p.Service
	}
	return p.Address
}

// String is the peer as alerts and sorting name it: who, protocol/port.
func (p *Peer) String() string {
	port := "*"
	if p.Port != 0 {
		port = strconv.Itoa(int(p.Port))
	}
	return p.name() + " " + p.Protocol + "/" + port
}

// observed is one outbound connection's peer.
type observed struct {
	addr      netip.Addr
	port      uint16
	proto     string
	namespace string // the pod's, when the address is a pod's
	workload  string // namespace/Kind/name
	service   string // namespace/name
}

func (b *Baselines) observe(e *event.Event) observed {
	o := observed{addr: e.Remote.Unmap(), port: e.RemotePort, proto: "TCP"}
	if e.Proto == 17 {
		o.proto = "UDP"
	}
	if b.Resolver != nil {
		if ep, ok := b.Resolver.Peer(o.addr, e.Time); ok {
			o.service = ep.Service
			if ep.IsPod() {
				o.namespace, o.workload = ep.Namespace, ep.Namespace+"/"+ep.Workload
			}
		}
	}
	return o
}

// entry is what learning records of a peer: the most stable name it has.
func (o *observed) entry() Peer {
	p := Peer{Port: o.port, Protocol: o.proto}
	switch {
	case o.workload != "":
		p.Workload = o.workload
	case o.service != "":
		p.Service = o.service
	default:
		p.Address = o.addr.String()
	}
	return p
}

// knows reports whether the baseline holds the peer: its learned form
// (learned), or an entry that covers it (a namespace, a CIDR, any port).
func (bl *Baseline) knows(o *observed, learned Peer) bool {
	if bl.peers[learned] {
		return true
	}
	for i := range bl.Peers {
		if bl.Peers[i].covers(o) {
			return true
		}
	}
	return false
}

func (p *Peer) covers(o *observed) bool {
	if p.Protocol != o.proto || p.Port != 0 && p.Port != o.port {
		return false
	}
	switch {
	case p.Workload != "":
		return p.Workload == o.workload
	case p.Namespace != "":
		return p.Namespace == o.namespace
	case p.Service != "":
		return p.Service == o.service
	}
	pre, err := parsePrefix(p.Address)
	return err == nil && pre.Contains(o.addr)
}
