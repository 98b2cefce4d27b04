package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// Watch keeps a cluster's objects of the kinds the checks read current, in
// shared informers: the continuous form of Loader, with the same kind
// knowledge. Built-in kinds are watched typed (protobuf on the wire), kinds
// no check reads beyond their metadata through the metadata API, custom
// resources as maps, and Secrets always through the metadata API, never
// with their values.
type Watch struct {
	Loader
	// Changed is told the kind and key ("namespace/name", or "name") of each
	// object added, changed or deleted, from the informers' goroutines. A
	// relist that finds an object unchanged (same resourceVersion) tells
	// nothing.
	Changed func(gk schema.GroupKind, key string)
}

// Watched are the running informers.
type Watched struct {
	// Failures are the kinds the identity could not list: no informer runs
	// for them, and the checks that read them have a coverage gap.
	Failures      []Failure
	ServerVersion *version.Info
	context       string
	kinds         map[schema.GroupKind]*watchedKind
}

type watchedKind struct {
	gvk      schema.GroupVersionKind
	informer cache.SharedIndexInformer
	// tokens holds the metadata of the service-account token Secrets: the
	// metadata API does not say a Secret's type, a field selector does.
	tokens cache.SharedIndexInformer
}

// Start discovers which of kinds the cluster serves, leaves out those the
// identity may not list (Failures), and starts an informer for each other
// one; they stop with ctx. WaitForSync tells when they have listed.
func (w *Watch) Start(ctx context.Context, kinds []schema.GroupKind) (*Watched, error) {
	sv, _, mapper, err := w.discover()
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(w.Config)
	cfg.Timeout = 0 // watches are long-lived; list requests carry their own deadlines
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", w.Context, err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", w.Context, err)
	}
	pcfg := rest.CopyConfig(cfg)
	pcfg.ContentType = runtime.ContentTypeProtobuf
	pcfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cs, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", w.Context, err)
	}
	typed := informers.NewSharedInformerFactory(cs, 0)

	ws := &Watched{ServerVersion: sv, context: w.Context, kinds: map[schema.GroupKind]*watchedKind{}}
	for _, gk := range dedupe(kinds) {
		mapping, err := mapper.RESTMapping(gk)
		if err != nil {
			continue // the cluster does not serve this kind: nothing to check
		}
		if verb, err := w.probe(ctx, mc, mapping); err != nil {
			f, ok := w.failure(err, mapping)
			if !ok {
				return nil, err
			}
			if verb != "list" {
				f.Verb = verb
				f.Reason = strings.Replace(f.Reason, "to list", "to "+verb, 1)
			}
			ws.Failures = append(ws.Failures, f)
			continue
		}
		wk := &watchedKind{gvk: mapping.GroupVersionKind}
		ns, tweak := w.scope(mapping), w.tweak(gk, "")
		switch {
		case gk == inventory.KindSecret:
			wk.informer = metadatainformer.NewFilteredMetadataInformer(mc, mapping.Resource, ns, 0, nil, tweak).Informer()
			wk.tokens = metadatainformer.NewFilteredMetadataInformer(mc, mapping.Resource, ns, 0, nil,
				w.tweak(gk, "type="+string(corev1.SecretTypeServiceAccountToken))).Informer()
		case w.MetadataOnly[gk]:
			wk.informer = metadatainformer.NewFilteredMetadataInformer(mc, mapping.Resource, ns, 0, nil, tweak).Informer()
		default:
			if gi, err := typed.ForResource(mapping.Resource); err == nil && ns == "" && w.selector(gk) == "" {
				wk.informer = gi.Informer()
			} else {
				wk.informer = dynamicinformer.NewFilteredDynamicInformer(dc, mapping.Resource, ns, 0, nil, tweak).Informer()
			}
		}
		for _, inf := range []cache.SharedIndexInformer{wk.informer, wk.tokens} {
			if inf == nil {
				continue
			}
			gvk := mapping.GroupVersionKind
			if err := inf.SetTransform(func(obj any) (any, error) {
				if o, ok := obj.(runtime.Object); ok {
					return o, trim(o, gvk)
				}
				return obj, nil // a tombstone
			}); err != nil {
				return nil, err
			}
			if _, err := inf.AddEventHandler(w.handler(gk)); err != nil {
				return nil, err
			}
		}
		ws.kinds[gk] = wk
	}
	for _, wk := range ws.kinds {
		go wk.informer.RunWithContext(ctx)
		if wk.tokens != nil {
			go wk.tokens.RunWithContext(ctx)
		}
	}
	return ws, nil
}

// probe lists one object's metadata and opens a watch to learn whether
// the identity may list and watch the kind at all (a cluster scan's role
// grants only list): an informer that may not would retry for ever. It
// returns the verb that failed.
func (w *Watch) probe(ctx context.Context, mc metadata.Interface, m *meta.RESTMapping) (string, error) {
	ri := mc.Resource(m.Resource).Namespace(w.scope(m))
	list, err := ri.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return "list", err
	}
	wi, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, TimeoutSeconds: ptr.To[int64](1)})
	if err != nil {
		return "watch", err
	}
	wi.Stop()
	return "", nil
}

func (w *Watch) tweak(gk schema.GroupKind, fieldSelector string) func(*metav1.ListOptions) {
	sel := w.selector(gk)
	return func(o *metav1.ListOptions) {
		o.LabelSelector = sel
		if fieldSelector != "" {
			o.FieldSelector = fieldSelector
		}
	}
}

func (w *Watch) handler(gk schema.GroupKind) cache.ResourceEventHandler {
	tell := func(obj any) {
		if w.Changed == nil {
			return
		}
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			w.Changed(gk, key)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: tell,
		UpdateFunc: func(old, cur any) {
			a, errA := meta.Accessor(old)
			b, errB := meta.Accessor(cur)
			if errA == nil && errB == nil && a.GetResourceVersion() == b.GetResourceVersion() {
				return // a relist that found it unchanged
			}
			tell(cur)
		},
		DeleteFunc: tell,
	}
}

// WaitForSync returns once every informer has listed its kind, or ctx ends.
func (ws *Watched) WaitForSync(ctx context.Context) error {
	var synced []cache.InformerSynced
	for _, wk := range ws.kinds {
		synced = append(synced, wk.informer.HasSynced)
		if wk.tokens != nil {
			synced = append(synced, wk.tokens.HasSynced)
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return fmt.Errorf("cluster %s: the informers did not list every kind: %w", ws.context, context.Cause(ctx))
	}
	return nil
}

// Kinds lists the kinds being watched, sorted.
func (ws *Watched) Kinds() []schema.GroupKind {
	out := make([]schema.GroupKind, 0, len(ws.kinds))
	for gk := range ws.kinds {
		out = append(out, gk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Watching reports whether the kind is watched: served, readable and read
// by some check.
func (ws *Watched) Watching(gk schema.GroupKind) bool { return ws.kinds[gk] != nil }

// Keys lists the keys of the objects of a kind held now.
func (ws *Watched) Keys(gk schema.GroupKind) []string {
	if wk := ws.kinds[gk]; wk != nil {
		return wk.informer.GetStore().ListKeys()
	}
	return nil
}

// Has reports whether an object of the kind is held now.
func (ws *Watched) Has(gk schema.GroupKind, namespace, name string) bool {
	wk := ws.kinds[gk]
	if wk == nil {
		return false
	}
	key := name
	if namespace != "" {
		key = namespace + "/" + name
	}
	_, ok, _ := wk.informer.GetStore().GetByKey(key)
	return ok
}

// Object returns the object of a kind by key as the inventory holds it,
// built afresh from the informer's copy (which it shares and never
// changes); ok is false once the object is gone.
func (ws *Watched) Object(gk schema.GroupKind, key string) (o *inventory.Object, ok bool, err error) {
	wk := ws.kinds[gk]
	if wk == nil {
		return nil, false, nil
	}
	item, ok, err := wk.informer.GetStore().GetByKey(key)
	if err != nil || !ok {
		return nil, false, err
	}
	switch t := item.(type) {
	case *metav1.PartialObjectMetadata:
		if gk == inventory.KindSecret {
			s := &corev1.Secret{TypeMeta: t.TypeMeta, ObjectMeta: t.ObjectMeta}
			if _, token, _ := wk.tokens.GetStore().GetByKey(key); token {
				s.Type = corev1.SecretTypeServiceAccountToken
			}
			o, err = liveObject(s, ws.context)
			return o, err == nil, err
		}
		return inventory.NewMeta(wk.gvk.GroupVersion().String(), wk.gvk.Kind, t.ObjectMeta,
			inventory.Source{Cluster: ws.context, ResourceVersion: t.ResourceVersion}), true, nil
	case runtime.Object:
		o, err = liveObject(t, ws.context)
		return o, err == nil, err
	}
	return nil, false, fmt.Errorf("cluster %s: %s %s: unexpected %T in the informer", ws.context, gk, key, item)
}
