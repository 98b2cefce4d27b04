// Package intent checks what workloads do against what they are meant to
// do: delivered connections against the cluster's NetworkPolicies
// (kubeward's NetworkPolicy engine), and each workload's behaviour against
// the baseline learned from it.
package intent

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/flows"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Policies judges delivered flows against the NetworkPolicies: a flow the
// policies deny that the kernel delivered means the network plugin does
// not enforce them (a classic silent failure). It watches namespaces,
// pods, NetworkPolicies and Services cluster-wide (peers may be anywhere).
type Policies struct {
	rules   *rules.Engine
	factory informers.SharedInformerFactory
	ns      cache.SharedIndexInformer
	pods    cache.SharedIndexInformer
	pols    cache.SharedIndexInformer
	svcs    cache.SharedIndexInformer
	// Rebuild bounds how often the model is rebuilt after a change.
	Rebuild time.Duration

	mu       sync.Mutex
	dirty    bool
	built    time.Time
	engine   *netpol.Engine
	podIndex map[podKey]int        // engine pod of each namespace and name
	services map[netip.Addr]string // cluster address -> namespace/name
	verdicts map[flowKey]bool
}

// flowKey is a flow of one model: its endpoints' indices are stable
// until the next rebuild, which clears the verdicts.
type flowKey struct {
	src, dst netpol.Endpoint
	port     uint16
	proto    netpol.Protocol
}

type podKey struct{ namespace, name string }

// maxVerdicts bounds the verdict cache (cleared on every rebuild).
const maxVerdicts = 1 << 16

// NewPolicies watches the cluster through cs; alerts go through eng (for
// exceptions and severities). Run must be called.
func NewPolicies(cs kubernetes.Interface, eng *rules.Engine) *Policies {
	f := informers.NewSharedInformerFactory(cs, 30*time.Minute)
	p := &Policies{rules: eng, factory: f, Rebuild: 2 * time.Second, dirty: true,
		ns: f.Core().V1().Namespaces().Informer(), pods: f.Core().V1().Pods().Informer(),
		pols: f.Networking().V1().NetworkPolicies().Informer(), svcs: f.Core().V1().Services().Informer()}
	mark := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.markDirty() },
		UpdateFunc: func(any, any) { p.markDirty() },
		DeleteFunc: func(any) { p.markDirty() },
	}
	for _, i := range []cache.SharedIndexInformer{p.ns, p.pods, p.pols, p.svcs} {
		_, _ = i.AddEventHandler(mark)
	}
	return p
}

func (p *Policies) markDirty() {
	p.mu.Lock()
	p.dirty = true
	p.mu.Unlock()
}

// Run watches until ctx ends.
func (p *Policies) Run(ctx context.Context) {
	p.factory.Start(ctx.Done())
	<-ctx.Done()
	p.factory.Shutdown()
}

// WaitSynced waits for the first lists.
func (p *Policies) WaitSynced(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), p.ns.HasSynced, p.pods.HasSynced, p.pols.HasSynced, p.svcs.HasSynced) {
		return fmt.Errorf("networkpolicy intent: the first lists did not complete")
	}
	return nil
}

// model returns the current engine, rebuilt when the cluster changed and
// the last build is older than Rebuild. Called with mu held.
func (p *Policies) model(now time.Time) *netpol.Engine {
	if p.engine != nil && (!p.dirty || now.Sub(p.built) < p.Rebuild) {
		return p.engine
	}
	var in netpol.Input
	for _, o := range p.ns.GetStore().List() {
		n := o.(*corev1.Namespace)
		in.Namespaces = append(in.Namespaces, netpol.Namespace{Name: n.Name, Labels: n.Labels})
	}
	p.podIndex = map[podKey]int{}
	for _, o := range p.pods.GetStore().List() {
		pod := o.(*corev1.Pod)
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		np := netpol.PodFromSpec("Pod", pod.Namespace, pod.Name, &pod.ObjectMeta, &pod.Spec)
		np.IPs = netpol.PodIPs(&pod.Status)
		p.podIndex[podKey{pod.Namespace, pod.Name}] = len(in.Pods)
		in.Pods = append(in.Pods, np)
	}
	for _, o := range p.pols.GetStore().List() {
		in.Policies = append(in.Policies, o.(*networkingv1.NetworkPolicy))
	}
	p.services = map[netip.Addr]string{}
	for _, o := range p.svcs.GetStore().List() {
		svc := o.(*corev1.Service)
		for _, ip := range svc.Spec.ClusterIPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				p.services[a.Unmap()] = svc.Namespace + "/" + svc.Name
			}
		}
	}
	p.engine = netpol.New(in)
	p.verdicts = map[flowKey]bool{}
	p.dirty, p.built = false, now
	return p.engine
}

// Observe judges a delivered flow of a pod: an established TCP
// connection (either side) or a received UDP datagram. The pod's own end
// is the pod; the other is the pod that holds the peer address, or the
// address. Outbound flows to Service addresses are not judged: the socket
// keeps the Service's address, the backend is chosen after it (the
// receiving side's agent judges the flow with the real client address).
func (p *Policies) Observe(e *event.Event, dst []detect.Alert) []detect.Alert {
	if e.Kind != event.Connect || e.Pod == nil || e.Pod.Name == "" || !e.Remote.IsValid() || e.Remote.IsLoopback() {
		return dst
	}
	inbound := e.Inbound()
	var port uint16
	proto := netpol.TCP
	switch {
	case e.Op == event.ConnEstablished && inbound:
		port = e.LocalPort
	case e.Op == event.ConnEstablished:
		port = e.RemotePort
	case e.Op == event.ConnDatagram && inbound:
		port, proto = e.LocalPort, netpol.UDP
	default:
		return dst
	}
	p.mu.Lock()
	eng := p.model(e.Time)
	self, ok := p.podIndex[podKey{e.Pod.Namespace, e.Pod.Name}]
	if !ok || !inbound && p.services[e.Remote] != "" {
		p.mu.Unlock()
		return dst
	}
	peer := eng.EndpointAt(e.Remote)
	src, to := netpol.PodEndpoint(self), peer
	if inbound {
		src, to = peer, netpol.PodEndpoint(self)
	}
	k := flowKey{src, to, port, proto}
	allowed, seen := p.verdicts[k]
	var d netpol.Decision
	if !seen {
		d = eng.Explain(src, to, int(port), proto)
		allowed = d.Allowed
		if len(p.verdicts) >= maxVerdicts {
			clear(p.verdicts)
		}
		p.verdicts[k] = allowed
	}
	p.mu.Unlock()
	if allowed {
		return dst
	}
	srcName, dstName := eng.Name(src), eng.Name(to)
	if seen {
		// Repeats of a denied flow: the rate limiter folds the alerts,
		// the reasons are the first alert's.
		d = netpol.Decision{Source: srcName, Destination: dstName}
	}
	name := proto.String()
	h := &detect.Hit{Message: fmt.Sprintf("%s → %s %s/%d was delivered, but the NetworkPolicies deny it", srcName, dstName, name, port),
		Details: map[string]string{"source": srcName, "destination": dstName, "port": strconv.Itoa(int(port)), "protocol": name, "peer": e.Remote.String()}}
	if r := denyReason(&d); r != "" {
		h.Details["reason"] = r
	}
	return p.rules.Emit("networkpolicy-not-enforced", h, e, dst)
}

// denyReason says which side denies and by which policies.
func denyReason(d *netpol.Decision) string {
	var parts []string
	for _, s := range []*netpol.Side{&d.Egress, &d.Ingress} {
		if s.Endpoint == "" || s.Allowed {
			continue
		}
		r := s.Direction.String() + ": " + s.Reason()
		var names []string
		for _, p := range s.Policies {
			names = append(names, p.Namespace+"/"+p.Name)
		}
		if len(names) > 0 {
			r += " (" + strings.Join(names, ", ") + ")"
		}
		parts = append(parts, r)
	}
	return strings.Join(parts, "; ")
}

// Peer names who holds a (for flow logs): the pod (namespace, workload,
// labels) or the Service whose cluster address it is; ok is false for an
// address the watch does not know (yet). A host-network pod's address is
// named as an address.
func (p *Policies) Peer(a netip.Addr, now time.Time) (ep flows.Endpoint, ok bool) {
	a = a.Unmap()
	ep.IP = a.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	eng := p.model(now)
	if svc := p.services[a]; svc != "" {
		ep.Service = svc
		return ep, true
	}
	r := eng.EndpointAt(a)
	if !r.IsPod() {
		return ep, false
	}
	np := eng.Pods()[r.Pod]
	if np.HostNetwork {
		// The node's address: policies cannot select host-network pods
		// by label, only by ipBlock.
		return ep, true
	}
	o, found, err := p.pods.GetStore().GetByKey(np.Namespace + "/" + np.Name)
	if err != nil || !found {
		return ep, false
	}
	pod := o.(*corev1.Pod)
	ep.Namespace, ep.Pod, ep.Workload, ep.Labels = pod.Namespace, pod.Name, attrib.Workload(pod), pod.Labels
	return ep, true
}
