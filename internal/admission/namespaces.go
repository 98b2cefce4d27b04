package admission

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// NamespaceCache keeps the labels of every namespace from a watch (RBAC:
// get, list and watch on namespaces). A namespace created a moment ago may
// not be in the cache yet; it is then read directly.
type NamespaceCache struct {
	client kubernetes.Interface
	lister corev1listers.NamespaceLister
	synced cache.InformerSynced
	start  func(stop <-chan struct{})
}

// NewNamespaceCache prepares the cache; Run fills it.
func NewNamespaceCache(cs kubernetes.Interface) *NamespaceCache {
	f := informers.NewSharedInformerFactoryWithOptions(cs, 10*time.Minute,
		// Only names and labels are read: keep nothing else in memory.
		informers.WithTransform(func(obj any) (any, error) {
			ns, ok := obj.(*corev1.Namespace)
			if !ok {
				return obj, nil
			}
			return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels,
				ResourceVersion: ns.ResourceVersion, UID: ns.UID}}, nil
		}))
	inf := f.Core().V1().Namespaces()
	c := &NamespaceCache{client: cs, lister: inf.Lister(), synced: inf.Informer().HasSynced}
	c.start = f.Start
	return c
}

// Run starts the watch until ctx ends.
func (c *NamespaceCache) Run(ctx context.Context) { c.start(ctx.Done()) }

// Synced reports whether the first list arrived.
func (c *NamespaceCache) Synced() bool { return c.synced() }

// CachedLabels answers from the watch alone (no request, so a review
// needs no timer for it); ok is false when the namespace is not in it yet.
func (c *NamespaceCache) CachedLabels(name string) (map[string]string, bool) {
	ns, err := c.lister.Get(name)
	if err != nil {
		return nil, false
	}
	return ns.Labels, true
}

// Labels implements NamespaceLabels.
func (c *NamespaceCache) Labels(ctx context.Context, name string) (map[string]string, error) {
	ns, err := c.lister.Get(name)
	if err == nil {
		return ns.Labels, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	live, err := c.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil // the API server refuses objects in a missing namespace anyway
	}
	if err != nil {
		return nil, err
	}
	return live.Labels, nil
}
