package flowlog

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/netpol/flows"
)

// Each distinct delivered flow is written once, from the pod's point of
// view turned into source and destination; undelivered SYNs, loopback
// and unattributed events are not flows.
func TestWriterRecords(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, nil, "n1", nil)
	pod := &event.Pod{Namespace: "shop", Name: "web-1", Workload: "Deployment/web", Labels: map[string]string{"app": "web"}}
	ev := func(op event.Op, flags event.Flags, remote string, lport, rport uint16, p *event.Pod) *event.Event {
		proto := uint16(6)
		if op == event.ConnDatagram {
			proto = 17
		}
		return &event.Event{Time: time.Unix(1, 0), Kind: event.Connect, Op: op, Flags: flags, Proto: proto,
			Local: netip.MustParseAddr("10.0.0.5"), LocalPort: lport, Remote: netip.MustParseAddr(remote), RemotePort: rport, Pod: p}
	}
	for _, e := range []*event.Event{
		ev(event.ConnEstablished, 0, "10.0.0.9", 40000, 443, pod),
		ev(event.ConnEstablished, 0, "10.0.0.9", 40001, 443, pod), // same flow, another source port
		ev(event.ConnDatagram, 0, "10.96.0.10", 50000, 53, pod),
		ev(event.ConnEstablished, event.FlagInbound, "203.0.113.7", 8080, 51515, pod),
		ev(event.ConnAttempt, 0, "10.0.0.8", 40002, 443, pod),
		ev(event.ConnEstablished, 0, "127.0.0.1", 40003, 443, pod),
		ev(event.ConnEstablished, 0, "10.0.0.7", 40004, 443, nil),
	} {
		w.Observe(e, nil)
	}
	var got []flows.Record
	var problems []flows.Problem
	err := flows.Read("log", &buf, func(r *flows.Record) { got = append(got, *r) }, func(p flows.Problem) { problems = append(problems, p) })
	if err != nil || len(problems) > 0 || len(got) != 3 {
		t.Fatalf("%d records %v %v: %+v", len(got), err, problems, got)
	}
	if r := got[0]; r.Direction != flows.Outbound || r.Protocol != "TCP" || r.Port != 443 || r.Source.Workload != "Deployment/web" || r.Source.IP != "10.0.0.5" || r.Destination.IP != "10.0.0.9" || r.Node != "n1" {
		t.Errorf("outbound %+v", r)
	}
	if r := got[1]; r.Protocol != "UDP" || r.Port != 53 {
		t.Errorf("datagram %+v", r)
	}
	if r := got[2]; r.Direction != flows.Inbound || r.Port != 8080 || r.Source.IP != "203.0.113.7" || r.Destination.Pod != "web-1" {
		t.Errorf("inbound %+v", r)
	}
}
