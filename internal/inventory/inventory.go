package inventory

import (
	"cmp"
	"slices"
	"sort"

	"github.com/kubeward/kubeward/internal/image/facts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is every object of one scan with indexes by kind and name.
// It is filled once, then only read (checks run concurrently over it).
type Inventory struct {
	objects []*Object
	byKind  map[schema.GroupKind][]*Object
	byName  map[nameKey]*Object
	images  *facts.Set
}

type nameKey struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

// NewInventory returns an empty inventory.
func NewInventory() *Inventory {
	return &Inventory{byKind: map[schema.GroupKind][]*Object{}, byName: map[nameKey]*Object{}}
}

// Add indexes an object. A later object of the same kind, namespace and name
// replaces the earlier one in name lookups (as a later kubectl apply would),
// but both stay in All and ByKind, so neither escapes the checks.
func (inv *Inventory) Add(o *Object) {
	inv.objects = append(inv.objects, o)
	gk := o.GroupKind()
	inv.byKind[gk] = append(inv.byKind[gk], o)
	inv.byName[nameKey{gk, o.Namespace, o.Name}] = o
}

// SetImages attaches the facts learnt about the images of the pods, once
// the registries were read; it is called before checks read the inventory.
func (inv *Inventory) SetImages(s *facts.Set) { inv.images = s }

// Images returns the image facts; nil when the registries were not read,
// and image checks that need them do not run.
func (inv *Inventory) Images() *facts.Set { return inv.images }

// Filter returns a new inventory of the objects keep accepts, in order.
func (inv *Inventory) Filter(keep func(*Object) bool) *Inventory {
	out := NewInventory()
	out.images = inv.images
	for _, o := range inv.objects {
		if keep(o) {
			out.Add(o)
		}
	}
	return out
}

// All returns the objects in the order they were added.
func (inv *Inventory) All() []*Object { return inv.objects }

// Len is the number of objects.
func (inv *Inventory) Len() int { return len(inv.objects) }

// ByKind returns the objects of one kind, of any API version.
func (inv *Inventory) ByKind(gk schema.GroupKind) []*Object { return inv.byKind[gk] }

// Get finds an object by kind, namespace and name.
func (inv *Inventory) Get(gk schema.GroupKind, namespace, name string) *Object {
	return inv.byName[nameKey{gk, namespace, name}]
}

// Pods returns the pod specs to judge: those of every workload, except
// copies run by a controller that is itself in the inventory (a live Pod of
// a ReplicaSet of a Deployment), which are judged through the controller.
func (inv *Inventory) Pods() []*Pod {
	return inv.pods(false)
}

// AllPods returns every pod spec, controlled copies included (a live Pod
// carries its IPs, which its Deployment does not).
func (inv *Inventory) AllPods() []*Pod {
	return inv.pods(true)
}

func (inv *Inventory) pods(controlled bool) []*Pod {
	var out []*Pod
	for _, gk := range podKinds {
		for _, o := range inv.byKind[gk] {
			if o.Controller == nil || controlled {
				out = append(out, o.pods...)
			}
		}
	}
	return out
}

// Namespaces returns every namespace named by an object or a Namespace
// object, sorted. The empty namespace of manifests that omit it is left out.
func (inv *Inventory) Namespaces() []string {
	seen := map[string]bool{}
	for _, o := range inv.byKind[KindNamespace] {
		seen[o.Name] = true
	}
	for _, o := range inv.objects {
		if o.Namespace != "" {
			seen[o.Namespace] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// SortObjects orders objects by where they were read (file, template,
// line, list item), then identity.
func SortObjects(objs []*Object) {
	// Each identity is built once, not at every comparison: the sort of a
	// cluster's 20,000 objects spent most of its time concatenating them.
	type keyed struct {
		o  *Object
		id string
	}
	ks := make([]keyed, len(objs))
	for i, o := range objs {
		ks[i] = keyed{o, o.Ref.String()}
	}
	slices.SortStableFunc(ks, func(x, y keyed) int {
		a, b := &x.o.Source, &y.o.Source
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Template, b.Template), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Document, b.Document), cmp.Compare(a.ListItem, b.ListItem), cmp.Compare(x.id, y.id))
	})
	for i := range ks {
		objs[i] = ks[i].o
	}
}

// Sort orders objects by source then identity so that reports are stable
// whatever order concurrent loaders finished in, and rebuilds name lookups so
// the last duplicate in that order wins.
func (inv *Inventory) Sort() {
	SortObjects(inv.objects)
	for _, list := range inv.byKind {
		SortObjects(list)
	}
	clear(inv.byName)
	for _, o := range inv.objects {
		inv.byName[nameKey{o.GroupKind(), o.Namespace, o.Name}] = o
	}
}

// ServicesSelecting returns the Services of the pod's namespace whose
// selector matches the pod's labels, as the endpoints controller matches
// them: a Service without a selector selects no pod.
func (inv *Inventory) ServicesSelecting(p *Pod) []*Object {
	var out []*Object
	for _, o := range inv.byKind[KindService] {
		s, ok := o.Typed.(*corev1.Service)
		if !ok || o.Namespace != p.Namespace() || len(s.Spec.Selector) == 0 {
			continue
		}
		if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(p.Meta.Labels)) {
			out = append(out, o)
		}
	}
	return out
}
