// Package netpolinv builds the NetworkPolicy engine's input from a scan's
// inventory and keeps the way back from engine indexes to objects.
package netpolinv

import (
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Model is the engine input with, index for index, the objects it came from.
type Model struct {
	Input      netpol.Input
	Pods       []*inventory.Object // owner of Input.Pods[i]
	Policies   []*inventory.Object // Input.Policies[i]
	Namespaces map[string]*inventory.Object
	// Cluster is true when the objects were read from a live cluster: the
	// inventory is then complete, and absent namespaces or pods are truly
	// absent.
	Cluster bool
}

// Build converts an inventory. A running Pod (or ReplicaSet, Job) whose
// controlling owner is in the inventory is folded into that owner, which
// gains its IPs, so the matrix shows each workload once. Pods whose owner is
// not in the inventory (a PodList dumped from a cluster) are grouped by the
// workload their owner references name, as Kubernetes names them: a
// ReplicaSet "web-5d4f" of pods labelled pod-template-hash=5d4f is the
// Deployment "web"'s. A Pod without a controller stands for itself.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{Namespaces: map[string]*inventory.Object{}}
	for _, o := range inv.ByKind(inventory.KindNamespace) {
		m.Namespaces[o.Name] = o
		m.Input.Namespaces = append(m.Input.Namespaces, netpol.Namespace{Name: o.Name, Labels: o.Meta.Labels})
		m.Cluster = m.Cluster || o.Source.Cluster != ""
	}
	index := map[*inventory.Object]int{}
	var folded []*inventory.Pod
	var tops []*inventory.Pod
	for _, p := range inv.AllPods() {
		o := p.Object
		m.Cluster = m.Cluster || o.Source.Cluster != ""
		if o.GroupKind() == inventory.KindPodTemplate {
			continue // a template for something else, never run as such
		}
		if top := topWorkload(inv, o); top != o {
			folded = append(folded, p)
			continue
		}
		if last := inv.Get(o.GroupKind(), o.Namespace, o.Name); last != nil && last != o && o.Name != "" {
			continue // an earlier copy of the same object: the last one is the one applied
		}
		tops = append(tops, p)
	}
	groups := groupByOwner(tops, selectorKeys(inv))
	for _, p := range tops {
		o := p.Object
		g := groups[o]
		if g != nil && g.members[0] != o {
			index[o] = index[g.members[0]]
			if pod, ok := o.Typed.(*corev1.Pod); ok {
				i := index[o]
				m.Input.Pods[i].IPs = append(m.Input.Pods[i].IPs, netpol.PodIPs(&pod.Status)...)
			}
			continue
		}
		np := netpol.PodFromSpec(o.Kind, o.Namespace, o.Name, p.Meta, p.Spec)
		np.Selector = selectorOf(o)
		if g != nil {
			np.Kind, np.Name, np.Labels = g.owner.Kind, g.owner.Name, g.labels
		}
		if pod, ok := o.Typed.(*corev1.Pod); ok {
			np.IPs = netpol.PodIPs(&pod.Status)
		}
		index[o] = len(m.Input.Pods)
		m.Input.Pods = append(m.Input.Pods, np)
		m.Pods = append(m.Pods, o)
	}
	for _, p := range folded {
		pod, ok := p.Object.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
		if i, ok := index[topWorkload(inv, p.Object)]; ok {
			m.Input.Pods[i].IPs = append(m.Input.Pods[i].IPs, netpol.PodIPs(&pod.Status)...)
		}
	}
	// The same policy applied twice (two overlays, two copies of an
	// install manifest) is one object in a cluster: the later one wins.
	seen := map[string]int{}
	for _, o := range inv.ByKind(inventory.KindNetworkPolicy) {
		np, ok := o.Typed.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		key := o.Namespace + "/" + o.Name
		if i, dup := seen[key]; dup && o.Name != "" {
			m.Input.Policies[i], m.Policies[i] = np, o
			continue
		}
		seen[key] = len(m.Policies)
		m.Input.Policies = append(m.Input.Policies, np)
		m.Policies = append(m.Policies, o)
	}
	return m
}

// topOwner follows controlling owner references through the inventory,
// up to a controller whose objects run more than its pod spec (a Knative
// Revision's Deployment: inventory.JudgedThrough).
func topOwner(inv *inventory.Inventory, o *inventory.Object) *inventory.Object {
	for range 8 { // Pod -> ReplicaSet -> Deployment is the longest built-in chain
		ref := metav1.GetControllerOfNoCopy(&o.Meta)
		if ref == nil {
			return o
		}
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err != nil {
			return o
		}
		gk := schema.GroupKind{Group: gv.Group, Kind: ref.Kind}
		if !inventory.JudgedThrough(gk) {
			return o
		}
		owner := inv.Get(gk, o.Namespace, ref.Name)
		if owner == nil || len(owner.Pods()) == 0 {
			return o
		}
		o = owner
	}
	return o
}

func selectorOf(o *inventory.Object) *metav1.LabelSelector {
	switch w := o.Typed.(type) {
	case *appsv1.Deployment:
		return w.Spec.Selector
	case *appsv1.StatefulSet:
		return w.Spec.Selector
	case *appsv1.DaemonSet:
		return w.Spec.Selector
	case *appsv1.ReplicaSet:
		return w.Spec.Selector
	case *corev1.ReplicationController:
		if len(w.Spec.Selector) > 0 {
			return &metav1.LabelSelector{MatchLabels: w.Spec.Selector}
		}
	case *batchv1.Job:
		// Job selectors are generated (controller-uid); templates carry the
		// user's labels, which generation uses instead.
	case nil:
		return o.PodSelector() // a workload custom resource's, from its table
	}
	return nil
}

// PodIndex returns the engine index of an object's pods, or -1.
func (m *Model) PodIndex(o *inventory.Object) int {
	for i, p := range m.Pods {
		if p == o {
			return i
		}
	}
	return -1
}
