package netpolinv

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// perPodLabel reports whether controllers set label k on each pod, or on
// each revision's pods, beside the template's labels: such labels tell pods
// of one workload apart, not workloads.
func perPodLabel(k string) bool {
	switch k {
	case "pod-template-hash", // a Deployment's ReplicaSet revision
		"controller-revision-hash",                 // StatefulSet and DaemonSet revision
		"pod-template-generation",                  // DaemonSet revision (legacy)
		"statefulset.kubernetes.io/pod-name",       // StatefulSet pod
		"apps.kubernetes.io/pod-index",             // StatefulSet pod
		"batch.kubernetes.io/job-completion-index": // indexed Job pod
		return true
	}
	return false
}

// ownerRef names the workload a pod belongs to.
type ownerRef struct {
	Group, Kind, Name string
}

// group is the pods of one workload that NetworkPolicy cannot tell apart.
type group struct {
	owner   ownerRef
	labels  map[string]string
	sig     string
	members []*inventory.Object
}

// groupByOwner groups the pods (objects of kind Pod whose controller is not
// in the inventory) of each workload. Pods are grouped only when no policy
// of the input could tell them apart: the same labels, once those of
// perPodLabel no policy selects on are set aside, the same ports and host
// network. A workload whose pods differ stays pod by pod, so that every
// group is exact and every name unique.
func groupByOwner(pods []*inventory.Pod, policyKeys map[string]bool) map[*inventory.Object]*group {
	type key struct {
		ns    string
		owner ownerRef
	}
	byOwner := map[key][]*group{}
	var order []key
	for _, p := range pods {
		o := p.Object
		if o.GroupKind() != inventory.KindPod {
			continue
		}
		owner, ok := workloadOf(o)
		if !ok {
			continue
		}
		labels := maps.Clone(p.Meta.Labels)
		for k := range labels {
			if perPodLabel(k) && !policyKeys[k] {
				delete(labels, k)
			}
		}
		k := key{o.Namespace, owner}
		if _, seen := byOwner[k]; !seen {
			order = append(order, k)
		}
		sig := signature(labels, p)
		var g *group
		for _, cand := range byOwner[k] {
			if cand.sig == sig {
				g = cand
			}
		}
		if g == nil {
			g = &group{owner: owner, labels: labels, sig: sig}
			byOwner[k] = append(byOwner[k], g)
		}
		g.members = append(g.members, o)
	}
	out := map[*inventory.Object]*group{}
	for _, k := range order {
		if gs := byOwner[k]; len(gs) == 1 {
			for _, o := range gs[0].members {
				out[o] = gs[0]
			}
		}
	}
	return out
}

// signature is what NetworkPolicy sees of a pod: its labels, ports and host
// network.
func signature(labels map[string]string, p *inventory.Pod) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, "%q=%q,", k, labels[k])
	}
	if p.Spec != nil {
		fmt.Fprintf(&b, "|%v|", p.Spec.HostNetwork)
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for _, c := range cs {
				for _, cp := range c.Ports {
					fmt.Fprintf(&b, "%s/%s/%d/%s,", c.Name, cp.Name, cp.ContainerPort, cp.Protocol)
				}
			}
		}
	}
	return b.String()
}

// workloadOf names the workload of a pod from its controller reference, as
// Kubernetes names what it creates: a Deployment's ReplicaSet is the
// Deployment's name, a dash and the pod-template-hash its pods carry.
func workloadOf(o *inventory.Object) (ownerRef, bool) {
	ref := metav1.GetControllerOfNoCopy(&o.Meta)
	if ref == nil || ref.Name == "" || ref.Kind == "" {
		return ownerRef{}, false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return ownerRef{}, false
	}
	if gv.Group == "apps" && ref.Kind == "ReplicaSet" {
		if hash := o.Meta.Labels["pod-template-hash"]; hash != "" {
			if name, ok := strings.CutSuffix(ref.Name, "-"+hash); ok && name != "" {
				return ownerRef{Group: "apps", Kind: "Deployment", Name: name}, true
			}
		}
	}
	return ownerRef{Group: gv.Group, Kind: ref.Kind, Name: ref.Name}, true
}

// topWorkload is topOwner, also when the pod's ReplicaSet is missing but
// its Deployment is in the inventory (kubectl get deploy,pods): the pod is
// the Deployment's.
func topWorkload(inv *inventory.Inventory, o *inventory.Object) *inventory.Object {
	top := topOwner(inv, o)
	if top != o || o.GroupKind() != inventory.KindPod {
		return top
	}
	if w, ok := workloadOf(o); ok {
		if x := inv.Get(schema.GroupKind{Group: w.Group, Kind: w.Kind}, o.Namespace, w.Name); x != nil && len(x.Pods()) > 0 {
			return x
		}
	}
	return top
}

// selectorKeys are the pod label keys some policy of the inventory selects
// on (its podSelector or a peer's).
func selectorKeys(inv *inventory.Inventory) map[string]bool {
	keys := map[string]bool{}
	add := func(s *metav1.LabelSelector) {
		if s == nil {
			return
		}
		for k := range s.MatchLabels {
			keys[k] = true
		}
		for _, e := range s.MatchExpressions {
			keys[e.Key] = true
		}
	}
	for _, o := range inv.ByKind(inventory.KindNetworkPolicy) {
		np, ok := o.Typed.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		add(&np.Spec.PodSelector)
		for _, r := range np.Spec.Ingress {
			for _, p := range r.From {
				add(p.PodSelector)
			}
		}
		for _, r := range np.Spec.Egress {
			for _, p := range r.To {
				add(p.PodSelector)
			}
		}
	}
	return keys
}
