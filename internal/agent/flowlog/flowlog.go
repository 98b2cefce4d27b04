// Package flowlog writes the flows the node agent observed as JSON lines
// (internal/netpol/flows records), the input of kubeward netpol generate
// --from-flows.
package flowlog

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/netpol/flows"
)

// Resolver names who holds a peer address: a pod, or a Service's cluster
// address (intent.Policies, which watches the cluster).
type Resolver interface {
	Peer(a netip.Addr, now time.Time) (flows.Endpoint, bool)
}

// maxSeen bounds the flows remembered to write each one once; past it the
// memory is cleared and flows are written again.
const maxSeen = 1 << 16

type key struct {
	namespace, pod string
	inbound        bool
	proto          uint16
	port           uint16
	remote         netip.Addr
}

// Writer is an agent detector that writes each distinct delivered flow of
// a pod once: an established TCP connection (either side) or a UDP
// datagram (either way). It raises no alert.
type Writer struct {
	enc      *json.Encoder
	resolver Resolver
	node     string
	log      *slog.Logger
	// seen: flows written; a flow whose peer was not named (the
	// cluster watch had not seen the pod yet, or an address outside the
	// cluster) holds when it was written, and is written again, named,
	// when Retry later the resolver knows the peer.
	seen   map[key]time.Time
	Retry  time.Duration
	failed bool
}

// New writes to w; resolver may be nil (peers are then addresses only).
func New(w io.Writer, resolver Resolver, node string, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{enc: json.NewEncoder(w), resolver: resolver, node: node, log: log, seen: map[key]time.Time{}, Retry: time.Minute}
}

// Observe writes e when it is a new flow; it is called from the agent's
// one event goroutine.
func (w *Writer) Observe(e *event.Event, dst []detect.Alert) []detect.Alert {
	if e.Kind != event.Connect || e.Pod == nil || e.Pod.Name == "" || e.Pod.Workload == "" || !e.Remote.IsValid() || e.Remote.IsLoopback() {
		return dst
	}
	inbound := e.Inbound()
	var proto string
	switch e.Op {
	case event.ConnEstablished:
		proto = "TCP"
	case event.ConnDatagram:
		proto = "UDP"
	default:
		return dst // a SYN not (yet) answered was not delivered
	}
	port := e.RemotePort
	if inbound {
		port = e.LocalPort
	}
	if port == 0 {
		return dst
	}
	k := key{e.Pod.Namespace, e.Pod.Name, inbound, e.Proto, port, e.Remote.Unmap()}
	at, seen := w.seen[k]
	if seen && (at.IsZero() || w.resolver == nil || e.Time.Sub(at) < w.Retry) {
		return dst
	}
	self := flows.Endpoint{Namespace: e.Pod.Namespace, Pod: e.Pod.Name, Workload: e.Pod.Workload, Labels: e.Pod.Labels}
	if e.Local.IsValid() {
		self.IP = e.Local.Unmap().String()
	}
	peer := flows.Endpoint{IP: k.remote.String()}
	named := w.resolver == nil
	if !named {
		peer, named = w.resolver.Peer(k.remote, e.Time)
	}
	switch {
	case named:
		at = time.Time{}
	case seen:
		// Still not named: written already.
		w.seen[k] = e.Time
		return dst
	default:
		at = e.Time
	}
	if len(w.seen) >= maxSeen {
		clear(w.seen)
	}
	w.seen[k] = at
	r := flows.Record{Time: e.Time.UTC(), Node: w.node, Direction: flows.Outbound, Protocol: proto, Port: int(port), Source: self, Destination: peer}
	if inbound {
		r.Direction, r.Source, r.Destination = flows.Inbound, peer, self
	}
	if err := w.enc.Encode(&r); err != nil && !w.failed {
		w.failed = true
		w.log.Warn("writing the flow log failed; flows are no longer recorded", "err", err)
	}
	return dst
}
