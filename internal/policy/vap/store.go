package vap

import (
	"context"
	"fmt"
	"sort"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// kindInfo is what the API server's REST mapping says about a kind.
type kindInfo struct {
	resource   string // plural, lower case
	namespaced bool
	known      bool // a built-in kind or a CRD in the inputs
	versions   []string
}

// kinds maps kinds to resources: built-in kinds from client-go's scheme and
// kubeward's list of cluster-scoped kinds, custom kinds from the
// CustomResourceDefinitions in the inputs.
type kinds struct {
	crds map[schema.GroupKind]kindInfo
}

func newKinds(objs []*inventory.Object) *kinds {
	k := &kinds{crds: map[schema.GroupKind]kindInfo{}}
	for _, o := range objs {
		if o.Kind != "CustomResourceDefinition" || inventory.GroupOf(o.APIVersion) != "apiextensions.k8s.io" {
			continue
		}
		// Typed when some linked package registered apiextensions in
		// client-go's scheme, unstructured otherwise.
		var content map[string]any
		switch {
		case o.Raw != nil:
			content = o.Raw.Object
		case o.Typed != nil:
			content, _ = runtime.DefaultUnstructuredConverter.ToUnstructured(o.Typed)
		}
		spec, _, _ := unstructured.NestedMap(content, "spec")
		group, _, _ := unstructured.NestedString(spec, "group")
		kind, _, _ := unstructured.NestedString(spec, "names", "kind")
		plural, _, _ := unstructured.NestedString(spec, "names", "plural")
		scope, _, _ := unstructured.NestedString(spec, "scope")
		if group == "" || kind == "" || plural == "" {
			continue
		}
		info := kindInfo{resource: plural, namespaced: scope != "Cluster", known: true}
		vs, _, _ := unstructured.NestedSlice(spec, "versions")
		for _, v := range vs {
			if m, ok := v.(map[string]any); ok {
				if name, _ := m["name"].(string); name != "" && m["served"] != false {
					info.versions = append(info.versions, name)
				}
			}
		}
		k.crds[schema.GroupKind{Group: group, Kind: kind}] = info
	}
	return k
}

func (k *kinds) lookup(gvk schema.GroupVersionKind) kindInfo {
	if info, ok := k.crds[gvk.GroupKind()]; ok {
		return info
	}
	plural, _ := meta.UnsafeGuessKindToResource(gvk)
	return kindInfo{
		resource:   plural.Resource,
		namespaced: !inventory.IsClusterScoped(gvk.GroupKind()),
		known:      scheme.Scheme.Recognizes(gvk),
	}
}

// mapping answers the question the policy source asks of the REST mapper
// for a paramKind: is the kind served at this version, and in what scope.
func (k *kinds) mapping(gvk schema.GroupVersionKind) (kindInfo, bool) {
	if info, ok := k.crds[gvk.GroupKind()]; ok {
		for _, v := range info.versions {
			if v == gvk.Version {
				return info, true
			}
		}
		return kindInfo{}, false
	}
	info := k.lookup(gvk)
	return info, info.known
}

// paramStore holds the objects of one param kind as the policy source's
// informer would: built-in kinds as typed objects without TypeMeta, others
// as unstructured objects.
type paramStore struct {
	indexer cache.Indexer
}

var _ informers.GenericInformer = (*paramStore)(nil)

func newParamStore() *paramStore {
	return &paramStore{indexer: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})}
}

func (p *paramStore) add(obj runtime.Object) error { return p.indexer.Add(obj) }

func (p *paramStore) Lister() cache.GenericLister {
	return cache.NewGenericLister(p.indexer, schema.GroupResource{})
}

// Informer is asked only whether it has synced (generic.CollectParams);
// a static store always has.
func (p *paramStore) Informer() cache.SharedIndexInformer { return syncedInformer{} }

// syncedInformer answers HasSynced. The embedded interface is nil: the
// dispatcher calls nothing else, and a new call would fail loudly in the
// params tests rather than silently.
type syncedInformer struct{ cache.SharedIndexInformer }

func (syncedInformer) HasSynced() bool { return true }

// namespaces is the namespace lister of one evaluation: the Namespace
// objects of the inputs, with the label the API server puts on every
// namespace, an optional override for the request's namespace, and any
// other namespace assumed to exist with that label alone (a manifest set
// rarely holds the Namespace of every object; the API server would refuse
// objects in a namespace that does not exist, before any policy runs).
type namespaces struct {
	known    map[string]*corev1.Namespace
	override *corev1.Namespace
	assumed  map[string]bool // names looked up but not in the inputs
}

var _ listersv1.NamespaceLister = (*namespaces)(nil)

func namespaceObject(name string, lbls map[string]string) *corev1.Namespace {
	l := make(map[string]string, len(lbls)+1)
	for k, v := range lbls {
		l[k] = v
	}
	l[corev1.LabelMetadataName] = name
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
}

func (n *namespaces) Get(name string) (*corev1.Namespace, error) {
	if name == "" {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, name)
	}
	if n.override != nil && n.override.Name == name {
		return n.override, nil
	}
	if ns, ok := n.known[name]; ok {
		return ns, nil
	}
	n.assumed[name] = true
	return namespaceObject(name, nil), nil
}

func (n *namespaces) List(sel labels.Selector) ([]*corev1.Namespace, error) {
	var out []*corev1.Namespace
	for _, ns := range n.known {
		if sel.Matches(labels.Set(ns.Labels)) {
			out = append(out, ns)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (n *namespaces) assumedNames() []string {
	var out []string
	for name := range n.assumed {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// namespaceClient is the client the namespace matcher falls back to when
// the lister misses, which it does only for the empty name: it answers
// NotFound, as the API server would.
type namespaceClient struct{ kubernetes.Interface }

func (namespaceClient) CoreV1() typedcorev1.CoreV1Interface { return coreV1{} }

type coreV1 struct{ typedcorev1.CoreV1Interface }

func (coreV1) Namespaces() typedcorev1.NamespaceInterface { return namespaceGetter{} }

type namespaceGetter struct{ typedcorev1.NamespaceInterface }

func (namespaceGetter) Get(_ context.Context, name string, _ metav1.GetOptions) (*corev1.Namespace, error) {
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, name)
}

// paramObject turns an input object into what the param informer holds.
func paramObject(o *inventory.Object, gvk schema.GroupVersionKind, namespace string) (runtime.Object, error) {
	switch {
	case o.Typed != nil:
		if o.Typed.GetObjectKind().GroupVersionKind().Version != gvk.Version {
			return nil, fmt.Errorf("%s is %s, the paramKind asks for %s (kubeward does not convert built-in kinds)", o.Ref, o.APIVersion, gvk.GroupVersion())
		}
		c := o.Typed.DeepCopyObject()
		c.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
		if acc, err := meta.Accessor(c); err == nil {
			acc.SetNamespace(namespace)
		}
		return c, nil
	case o.Raw != nil:
		// Custom resources convert between versions by their apiVersion
		// alone with the None strategy; webhook conversion is not modelled.
		u := o.Raw.DeepCopy()
		u.SetAPIVersion(gvk.GroupVersion().String())
		u.SetNamespace(namespace)
		return u, nil
	}
	return nil, fmt.Errorf("%s could not be decoded", o.Ref)
}
