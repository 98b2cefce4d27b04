// Package netpol computes what Kubernetes NetworkPolicies allow.
//
// It follows the networking.k8s.io/v1 specification: a pod is isolated for a
// direction once any policy that selects it lists that direction in its
// (defaulted) policyTypes; an isolated pod accepts, in that direction, only
// the union of the rules of all those policies; a connection needs both the
// egress side of the source and the ingress side of the destination. Pods come
// from Pods and from the pod templates of workloads, so a "pod" here stands
// for every replica of a workload.
//
// The engine is pure: it takes namespaces, pods and policies as values and
// never talks to a cluster.
package netpol

import (
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultNamespace is where objects without a namespace land, as with
// `kubectl apply` in a context that sets none.
const DefaultNamespace = "default"

// Namespace is a namespace and its labels.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// ContainerPort is a port a container declares, which named ports in
// policies resolve to.
type ContainerPort struct {
	Container string
	Name      string
	Port      int32
	Protocol  corev1.Protocol // "" means TCP, as the API defaults it
}

// Pod is a pod or the pod template of a workload.
type Pod struct {
	Namespace string
	// Kind and Name identify the object that defines the pod: "Pod",
	// "Deployment", "StatefulSet" and so on.
	Kind string
	Name string
	// Labels of the pod (of the template for workloads).
	Labels map[string]string
	Ports  []ContainerPort
	// IPs are known only for running pods; ipBlock peers match a pod only
	// through them.
	IPs         []netip.Addr
	HostNetwork bool
	// Selector is the workload's own pod selector (spec.selector), when it
	// has one; policy generation selects the workload with it rather than
	// with every template label, which may change between rollouts.
	Selector *metav1.LabelSelector
}

// ID names the pod as "namespace/Kind/name" whatever its kind, Pods
// included: one scheme for every workload, in which a Deployment and a Pod
// of the same name stay apart.
func (p *Pod) ID() string {
	kind := p.Kind
	if kind == "" {
		kind = "Pod"
	}
	return p.Namespace + "/" + kind + "/" + p.Name
}

// PodFromSpec builds a Pod from an object's pod spec: a Pod's own, or a
// workload's template. Ports of init containers count, since restartable
// (sidecar) init containers serve on them.
func PodFromSpec(kind, namespace, name string, meta *metav1.ObjectMeta, spec *corev1.PodSpec) Pod {
	p := Pod{Namespace: namespace, Kind: kind, Name: name}
	if meta != nil {
		p.Labels = meta.Labels
	}
	if spec != nil {
		p.HostNetwork = spec.HostNetwork
		for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
			for _, c := range cs {
				for _, cp := range c.Ports {
					p.Ports = append(p.Ports, ContainerPort{Container: c.Name, Name: cp.Name, Port: cp.ContainerPort, Protocol: cp.Protocol})
				}
			}
		}
	}
	return p
}

// PodIPs parses the status IPs of a running pod, skipping any that do not
// parse.
func PodIPs(status *corev1.PodStatus) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && !seen[a.Unmap()] {
			seen[a.Unmap()] = true
			out = append(out, a.Unmap())
		}
	}
	for _, ip := range status.PodIPs {
		add(ip.IP)
	}
	if status.PodIP != "" {
		add(status.PodIP)
	}
	return out
}

// Input is everything the engine evaluates.
type Input struct {
	// Namespaces with their labels. Namespaces that pods or policies name
	// but that are missing here are assumed to carry only the automatic
	// kubernetes.io/metadata.name label; Engine.UnknownNamespaces lists them.
	Namespaces []Namespace
	Pods       []Pod
	Policies   []*networkingv1.NetworkPolicy
}

// PolicyRef names a policy.
type PolicyRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Index is the position of the policy in Input.Policies.
	Index int `json:"-"`
}

func (r PolicyRef) String() string { return r.Namespace + "/" + r.Name }

// Direction is the side of a connection a rule governs.
type Direction uint8

const (
	Ingress Direction = iota
	Egress
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// field is the spec field of rules of this direction.
func (d Direction) field() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// peers is the field of a rule holding its peers.
func (d Direction) peers() string {
	if d == Egress {
		return "to"
	}
	return "from"
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// labelString prints labels as a selector would: "a=b,c=d".
func labelString(l map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(l) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
	}
	return b.String()
}

func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
