package netpol

import (
	"net/netip"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

type namespace struct {
	name     string
	labels   labels.Set
	declared bool
	pods     []int
	policies []int
}

// Engine holds compiled policies and the pods they govern. It is safe for
// concurrent use: its lazy caches are guarded by mu, which every exported
// method that reaches them holds for its whole run.
type Engine struct {
	mu       sync.Mutex
	pods     []Pod
	podNs    []int
	podSig   []int // interned named-port signature per pod
	sigs     [][]ContainerPort
	ns       []namespace
	nsIndex  map[string]int
	policies []*policy
	sels     selectors
	ipBlocks []*ipBlock
	problems []Problem

	// selecting[dir][pod] lists the policies that select the pod and
	// affect that direction; the pod is isolated for dir when non-empty.
	selecting [2][][]int
	// selectedAny[pod] lists every policy whose podSelector matches.
	selectedAny [][]int

	peerCache    map[peerKey][]int
	nsSelCache   map[int][]int
	resolveCache map[resolveKey]PortSet
	podsWithIPs  []int
	// byIP is the first pod (in input order) holding each address.
	byIP      map[netip.Addr]int
	externals *partition
}

type peerKey struct{ pods, ns, policyNs int }

type resolveKey struct{ rule, sig int }

// New compiles the policies and indexes the pods. Problems in the input
// are recorded (see Problems), never fatal.
func New(in Input) *Engine {
	e := &Engine{
		nsIndex:      map[string]int{},
		peerCache:    map[peerKey][]int{},
		nsSelCache:   map[int][]int{},
		resolveCache: map[resolveKey]PortSet{},
		byIP:         map[netip.Addr]int{},
	}
	for _, n := range in.Namespaces {
		i := e.namespace(n.Name)
		e.ns[i].declared = true
		for k, v := range n.Labels {
			e.ns[i].labels[k] = v
		}
		// The API server sets this label on every namespace and overwrites
		// whatever a manifest says.
		e.ns[i].labels[corev1.LabelMetadataName] = n.Name
	}
	sigIndex := map[string]int{}
	e.pods = make([]Pod, len(in.Pods))
	for i, p := range in.Pods {
		if p.Namespace == "" {
			p.Namespace = DefaultNamespace
		}
		for j := range p.Ports {
			if p.Ports[j].Protocol == "" {
				p.Ports = append([]ContainerPort(nil), p.Ports...)
				for k := range p.Ports {
					if p.Ports[k].Protocol == "" {
						p.Ports[k].Protocol = corev1.ProtocolTCP
					}
				}
				break
			}
		}
		e.pods[i] = p
		n := e.namespace(p.Namespace)
		e.podNs = append(e.podNs, n)
		e.ns[n].pods = append(e.ns[n].pods, i)
		if len(p.IPs) > 0 {
			e.podsWithIPs = append(e.podsWithIPs, i)
		}
		for _, a := range p.IPs {
			if _, dup := e.byIP[a]; !dup {
				e.byIP[a] = i
			}
		}
		key := portSigKey(p.Ports)
		sig, ok := sigIndex[key]
		if !ok {
			sig = len(e.sigs)
			sigIndex[key] = sig
			e.sigs = append(e.sigs, p.Ports)
		}
		e.podSig = append(e.podSig, sig)
	}

	c := &compiler{sels: selectors{byText: map[string]*selector{}}}
	for i, np := range in.Policies {
		if np == nil {
			continue
		}
		p := c.policy(i, np)
		e.policies = append(e.policies, p)
		n := e.namespace(p.ref.Namespace)
		e.ns[n].policies = append(e.ns[n].policies, len(e.policies)-1)
	}
	e.sels, e.ipBlocks, e.problems = c.sels, c.ipBlocks, c.problems

	for d := range e.selecting {
		e.selecting[d] = make([][]int, len(e.pods))
	}
	e.selectedAny = make([][]int, len(e.pods))
	for pi := range e.pods {
		l := labels.Set(e.pods[pi].Labels)
		for _, qi := range e.ns[e.podNs[pi]].policies {
			q := e.policies[qi]
			if !q.sel.matches(l) {
				continue
			}
			q.selected = append(q.selected, pi)
			e.selectedAny[pi] = append(e.selectedAny[pi], qi)
			for d := range e.selecting {
				if q.affects[d] {
					e.selecting[d][pi] = append(e.selecting[d][pi], qi)
				}
			}
		}
	}
	return e
}

// namespace returns the index of a namespace, adding it with only the
// automatic name label when it was not declared.
func (e *Engine) namespace(name string) int {
	if i, ok := e.nsIndex[name]; ok {
		return i
	}
	i := len(e.ns)
	e.nsIndex[name] = i
	e.ns = append(e.ns, namespace{name: name, labels: labels.Set{corev1.LabelMetadataName: name}})
	return i
}

func portSigKey(ps []ContainerPort) string {
	var b []byte
	for _, p := range ps {
		if p.Name == "" {
			continue
		}
		b = append(b, p.Name...)
		b = append(b, 0, byte(p.Port>>8), byte(p.Port))
		b = append(b, p.Protocol...)
		b = append(b, 0)
	}
	return string(b)
}

// Problems lists what is wrong in the policies, in input order.
func (e *Engine) Problems() []Problem { return e.problems }

// Pods returns the pods as the engine sees them (namespace defaulted).
func (e *Engine) Pods() []Pod { return e.pods }

// UnknownNamespaces lists namespaces that pods or policies use but that
// were not in the input, so their labels (beyond the name) are unknown.
func (e *Engine) UnknownNamespaces() []string {
	var out []string
	for _, n := range e.ns {
		if !n.declared {
			out = append(out, n.name)
		}
	}
	sort.Strings(out)
	return out
}

// Namespaces lists every namespace the engine knows, sorted.
func (e *Engine) Namespaces() []string {
	out := make([]string, len(e.ns))
	for i, n := range e.ns {
		out[i] = n.name
	}
	sort.Strings(out)
	return out
}

// NamespaceLabels returns the labels of a namespace (with the automatic name label).
func (e *Engine) NamespaceLabels(name string) map[string]string {
	if i, ok := e.nsIndex[name]; ok {
		return e.ns[i].labels
	}
	return nil
}

// Policies lists the policies in input order (nil entries skipped).
func (e *Engine) Policies() []PolicyRef {
	out := make([]PolicyRef, len(e.policies))
	for i, p := range e.policies {
		out[i] = p.ref
	}
	return out
}

// SelectedPods returns the pods a policy's podSelector matches, by the
// policy's position in Input.Policies.
func (e *Engine) SelectedPods(policyIndex int) []int {
	if p := e.policyAt(policyIndex); p != nil {
		return p.selected
	}
	return nil
}

func (e *Engine) policyAt(index int) *policy {
	i := sort.Search(len(e.policies), func(i int) bool { return e.policies[i].ref.Index >= index })
	if i < len(e.policies) && e.policies[i].ref.Index == index {
		return e.policies[i]
	}
	return nil
}

// Isolated reports whether a pod is isolated for a direction: some policy
// selects it and lists the direction in its policyTypes.
func (e *Engine) Isolated(pod int, d Direction) bool { return len(e.selecting[d][pod]) > 0 }

// SelectingPolicies returns the policies that isolate a pod in a direction.
func (e *Engine) SelectingPolicies(pod int, d Direction) []PolicyRef {
	out := make([]PolicyRef, len(e.selecting[d][pod]))
	for i, qi := range e.selecting[d][pod] {
		out[i] = e.policies[qi].ref
	}
	return out
}

// peerPods returns the pods a selector peer of a policy matches (not
// ipBlock peers), cached by selector identity.
func (e *Engine) peerPods(q *policy, pr *peer) []int {
	if pr.none || pr.ip != nil {
		return nil
	}
	k := peerKey{pods: -1, ns: -1, policyNs: -1}
	if pr.pods != nil {
		k.pods = pr.pods.id
	}
	if pr.ns != nil {
		k.ns = pr.ns.id
	} else {
		k.policyNs = e.nsIndex[q.ref.Namespace]
	}
	if out, ok := e.peerCache[k]; ok {
		return out
	}
	var nss []int
	if pr.ns == nil {
		nss = []int{k.policyNs}
	} else {
		nss = e.namespacesMatching(pr.ns)
	}
	var out []int
	for _, n := range nss {
		for _, pi := range e.ns[n].pods {
			if pr.pods == nil || pr.pods.empty || pr.pods.matches(labels.Set(e.pods[pi].Labels)) {
				out = append(out, pi)
			}
		}
	}
	sort.Ints(out)
	e.peerCache[k] = out
	return out
}

func (e *Engine) namespacesMatching(s *selector) []int {
	if out, ok := e.nsSelCache[s.id]; ok {
		return out
	}
	out := []int{}
	for i := range e.ns {
		if s.matches(e.ns[i].labels) {
			out = append(out, i)
		}
	}
	e.nsSelCache[s.id] = out
	return out
}

// peerMatchesPod evaluates one peer against one pod directly.
func (e *Engine) peerMatchesPod(q *policy, pr *peer, pi int) bool {
	switch {
	case pr.none:
		return false
	case pr.ip != nil:
		for _, a := range e.pods[pi].IPs {
			if pr.ip.contains(a) {
				return true
			}
		}
		return false
	}
	n := e.podNs[pi]
	if pr.ns == nil {
		if e.ns[n].name != q.ref.Namespace {
			return false
		}
	} else if !pr.ns.matches(e.ns[n].labels) {
		return false
	}
	return pr.pods == nil || pr.pods.matches(labels.Set(e.pods[pi].Labels))
}

// rulePorts resolves a rule's ports against the destination pod (dst < 0
// for an external destination, where named ports match nothing).
func (e *Engine) rulePorts(r *rule, dst int) PortSet {
	if !r.hasNamed || dst < 0 {
		return r.numeric
	}
	k := resolveKey{rule: r.id, sig: e.podSig[dst]}
	if s, ok := e.resolveCache[k]; ok {
		return s
	}
	s := r.numeric
	for i := range r.ports {
		if r.ports[i].name != "" {
			s = s.Union(e.entryPorts(&r.ports[i], dst))
		}
	}
	e.resolveCache[k] = s
	return s
}

// entryPorts is what one ports entry allows towards dst: a named port
// matches the destination's container ports of that name and protocol.
func (e *Engine) entryPorts(pe *portEntry, dst int) PortSet {
	switch {
	case pe.none:
		return NoPorts()
	case pe.name == "":
		return Ports(pe.proto, pe.lo, pe.hi)
	case dst < 0:
		return NoPorts()
	}
	var s PortSet
	for _, cp := range e.sigs[e.podSig[dst]] {
		if cp.Name == pe.name && string(cp.Protocol) == pe.proto.String() {
			s = s.Union(Ports(pe.proto, int(cp.Port), int(cp.Port)))
		}
	}
	return s
}
