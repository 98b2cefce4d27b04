package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Loader lists a cluster's objects.
type Loader struct {
	Config  *rest.Config
	Context string // shown as the source of every object
	Opts    Options
	// Progress, when set, is told which kind is being listed.
	Progress func(done, total int, what string)
	// MetadataOnly kinds are listed through the metadata API: no check
	// reads more than their names, labels and annotations.
	MetadataOnly map[schema.GroupKind]bool
}

// Result is the loaded inventory and what could not be read.
type Result struct {
	Inventory *inventory.Inventory
	// Unreadable maps kinds the identity could not list to the reason.
	Unreadable map[schema.GroupKind]string
	// Failures say more of the same kinds: the resource, whether a grant
	// would help, and the reason without the resource's name.
	Failures      []Failure
	ServerVersion *version.Info
	// Discovery is what the cluster serves, group by group in discovery
	// order (custom resources included).
	Discovery []*restmapper.APIGroupResources
}

// Failure is a kind the loader could not list. The scan goes on without it.
type Failure struct {
	Kind      schema.GroupKind
	Resource  schema.GroupResource
	Namespace string // the namespace listed; "" cluster-wide
	// Forbidden is an authorization refusal: a grant would close it. Other
	// failures come from the server (an object it cannot decrypt or
	// decode) or from a response kubeward could not decode.
	Forbidden bool
	Reason    string
	// Verb is the verb refused: list, or watch (Watch); empty means list.
	Verb string
}

// Load lists every kind in kinds that the cluster serves.
func (l *Loader) Load(ctx context.Context, kinds []schema.GroupKind) (*Result, error) {
	sv, groups, mapper, err := l.discover()
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(l.Config)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", l.Context, err)
	}
	mc, err := metadata.NewForConfig(l.Config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", l.Context, err)
	}

	res := &Result{Inventory: inventory.NewInventory(), Unreadable: map[schema.GroupKind]string{}, ServerVersion: sv, Discovery: groups}
	kinds = dedupe(kinds)
	for i, gk := range kinds {
		mapping, err := mapper.RESTMapping(gk)
		if err != nil {
			continue // the cluster does not serve this kind: nothing to check
		}
		if l.Progress != nil {
			l.Progress(i, len(kinds), mapping.Resource.GroupResource().String())
		}
		var objs []*inventory.Object
		switch {
		case gk == inventory.KindSecret:
			objs, err = l.secretMetadata(ctx, mc, mapping)
		case l.MetadataOnly[gk]:
			objs, err = l.metadataList(ctx, mc, mapping)
		default:
			objs, err = l.list(ctx, rc, mapping)
		}
		if err != nil {
			f, ok := l.failure(err, mapping)
			if !ok {
				return nil, err
			}
			res.Failures = append(res.Failures, f)
			res.Unreadable[gk] = f.String()
			continue
		}
		for _, o := range objs {
			res.Inventory.Add(o)
		}
	}
	if l.Progress != nil {
		l.Progress(len(kinds), len(kinds), "")
	}
	markControlled(res.Inventory)
	res.Inventory.Sort()
	return res, nil
}

// discover reads the server's version and the resources it serves.
func (l *Loader) discover() (*version.Info, []*restmapper.APIGroupResources, meta.RESTMapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(l.Config)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cluster %s: %w", l.Context, err)
	}
	sv, err := dc.ServerVersion()
	if err != nil {
		return nil, nil, nil, l.connError(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, nil, nil, l.connError(err)
	}
	return sv, groups, restmapper.NewDiscoveryRESTMapper(groups), nil
}

func dedupe(kinds []schema.GroupKind) []schema.GroupKind {
	seen := map[schema.GroupKind]bool{}
	var out []schema.GroupKind
	for _, k := range kinds {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func (l *Loader) scope(m *meta.RESTMapping) (namespace string) {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return l.Opts.Namespace
	}
	return ""
}

func (l *Loader) selector(gk schema.GroupKind) string {
	if Selectable(gk) {
		return l.Opts.LabelSelector
	}
	return ""
}

func resourcePath(m *meta.RESTMapping, namespace string) string {
	gv := m.Resource.GroupVersion()
	base := "/apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		base = "/api/" + gv.Version
	}
	if namespace != "" {
		base += "/namespaces/" + url.PathEscape(namespace)
	}
	return base + "/" + m.Resource.Resource
}

func (l *Loader) pageSize() int64 {
	if l.Opts.PageSize > 0 {
		return l.Opts.PageSize
	}
	return 500
}

// list pages through one kind, decoding each page straight into Go types.
func (l *Loader) list(ctx context.Context, rc *rest.RESTClient, m *meta.RESTMapping) ([]*inventory.Object, error) {
	var out []*inventory.Object
	cont := ""
	for {
		req := rc.Get().AbsPath(resourcePath(m, l.scope(m))).Param("limit", fmt.Sprint(l.pageSize()))
		if cont != "" {
			req = req.Param("continue", cont)
		}
		if sel := l.selector(m.GroupVersionKind.GroupKind()); sel != "" {
			req = req.Param("labelSelector", sel)
		}
		raw, err := req.Do(ctx).Raw()
		if err != nil {
			return nil, err
		}
		items, next, err := decodeList(raw, m.GroupVersionKind)
		if err != nil {
			return nil, &decodeError{fmt.Errorf("decode %s: %w", m.Resource.Resource, err)}
		}
		for _, it := range items {
			o, err := l.object(it, m.GroupVersionKind)
			if err != nil {
				return nil, &decodeError{err}
			}
			out = append(out, o)
		}
		if next == "" {
			return out, nil
		}
		cont = next
	}
}

func decodeList(raw []byte, gvk schema.GroupVersionKind) ([]runtime.Object, string, error) {
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	var list runtime.Object
	if scheme.Scheme.Recognizes(listGVK) {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw, &listGVK, nil)
		if err != nil {
			return nil, "", err
		}
		list = obj
	} else {
		u := &unstructured.UnstructuredList{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, "", err
		}
		list = u
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, "", err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, "", err
	}
	return items, lm.GetContinue(), nil
}

// object trims what no check reads (managed fields, most status) before the
// object is kept: live objects are large and a scan keeps them all.
func (l *Loader) object(obj runtime.Object, gvk schema.GroupVersionKind) (*inventory.Object, error) {
	if err := trim(obj, gvk); err != nil {
		return nil, err
	}
	return liveObject(obj, l.Context)
}

// trim drops what no check reads from a live object (managed fields, most
// status) and sets its kind, which typed lists and watches leave empty.
func trim(obj runtime.Object, gvk schema.GroupVersionKind) error {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	acc.SetManagedFields(nil)
	switch t := obj.(type) {
	case *corev1.Pod:
		t.Status = corev1.PodStatus{Phase: t.Status.Phase}
	case *corev1.Node:
		t.Status.Images = nil
	}
	return nil
}

// liveObject wraps a trimmed live object for the inventory: a custom
// resource without a Go type keeps its map for the checks that read it,
// and a workload custom resource its pod template.
func liveObject(obj runtime.Object, context string) (*inventory.Object, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	src := inventory.Source{Cluster: context, ResourceVersion: acc.GetResourceVersion()}
	if t, ok := obj.(*unstructured.Unstructured); ok {
		// A pod template that does not convert fails the kind's list: a
		// coverage gap that names the object, never a silent pass.
		return inventory.NewLive(t, src)
	}
	return inventory.New(obj, src)
}

// metadataPages lists the metadata of one kind, page by page.
func (l *Loader) metadataPages(ctx context.Context, mc metadata.Interface, m *meta.RESTMapping, fieldSelector string) ([]metav1.PartialObjectMetadata, error) {
	var out []metav1.PartialObjectMetadata
	opts := metav1.ListOptions{Limit: l.pageSize(), LabelSelector: l.selector(m.GroupVersionKind.GroupKind()), FieldSelector: fieldSelector}
	for {
		list, err := mc.Resource(m.Resource).Namespace(l.scope(m)).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// metadataList loads objects of a kind by their metadata alone.
func (l *Loader) metadataList(ctx context.Context, mc metadata.Interface, m *meta.RESTMapping) ([]*inventory.Object, error) {
	items, err := l.metadataPages(ctx, mc, m, "")
	if err != nil {
		return nil, err
	}
	out := make([]*inventory.Object, 0, len(items))
	for _, pm := range items {
		pm.ManagedFields = nil
		out = append(out, inventory.NewMeta(m.GroupVersionKind.GroupVersion().String(), m.GroupVersionKind.Kind, pm.ObjectMeta,
			inventory.Source{Cluster: l.Context, ResourceVersion: pm.ResourceVersion}))
	}
	return out, nil
}

// secretMetadata lists Secrets without their values: names, labels and
// annotations through the metadata API, and, in a second metadata list with
// a field selector, which of them are service-account tokens.
func (l *Loader) secretMetadata(ctx context.Context, mc metadata.Interface, m *meta.RESTMapping) ([]*inventory.Object, error) {
	all, err := l.metadataPages(ctx, mc, m, "")
	if err != nil {
		return nil, err
	}
	tokens, err := l.metadataPages(ctx, mc, m, "type="+string(corev1.SecretTypeServiceAccountToken))
	if err != nil {
		return nil, err
	}
	isToken := map[string]bool{}
	for _, t := range tokens {
		isToken[t.Namespace+"/"+t.Name] = true
	}
	out := make([]*inventory.Object, 0, len(all))
	for _, pm := range all {
		s := &corev1.Secret{ObjectMeta: pm.ObjectMeta}
		if isToken[pm.Namespace+"/"+pm.Name] {
			s.Type = corev1.SecretTypeServiceAccountToken
		}
		o, err := l.object(s, m.GroupVersionKind)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// String says which resource failed and why: "forbidden to list secrets
// cluster-wide".
func (f Failure) String() string {
	if f.Forbidden {
		return strings.Replace(f.Reason, "forbidden to list", "forbidden to list "+f.Resource.String(), 1)
	}
	return f.Resource.String() + ": " + f.Reason
}

// failure turns the error of listing one kind into a coverage gap, so one
// unreadable kind does not stop the scan of the others: a refusal, a kind
// the server does not list, an error of the server on this kind (objects it
// can no longer decrypt answer 500), or a response kubeward cannot decode.
// Errors that say the server or the credentials are gone (401, no answer,
// a cancelled run) stop the scan: every other kind would fail alike.
func (l *Loader) failure(err error, m *meta.RESTMapping) (Failure, bool) {
	f := Failure{Kind: m.GroupVersionKind.GroupKind(), Resource: m.Resource.GroupResource(), Namespace: l.scope(m)}
	where := "cluster-wide"
	if f.Namespace != "" {
		where = "in namespace " + f.Namespace
	}
	var decode *decodeError
	var status apierrors.APIStatus
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), apierrors.IsUnauthorized(err):
		return f, false
	case apierrors.IsForbidden(err):
		f.Forbidden = true
		f.Reason = "forbidden to list " + where
	case apierrors.IsNotFound(err), apierrors.IsMethodNotSupported(err):
		f.Reason = "the server does not list it"
	case errors.As(err, &decode):
		f.Reason = "the server's answer could not be decoded: " + bound(decode.err.Error())
	case errors.As(err, &status) && !apierrors.IsTimeout(err) && !apierrors.IsServerTimeout(err):
		f.Reason = fmt.Sprintf("the server failed to list it %s (HTTP %d): %s", where, status.Status().Code, bound(err.Error()))
	default:
		return f, false
	}
	return f, true
}

// bound keeps a server's message to one short line: it may quote objects.
func bound(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) <= max {
		return s
	}
	cut := 0
	for i := range s { // at a rune boundary
		if i > max {
			break
		}
		cut = i
	}
	return s[:cut] + "..."
}

// decodeError is a list page kubeward could not decode.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// connError words the failures people meet first: wrong address, expired
// credentials, a server that does not answer in time.
func (l *Loader) connError(err error) error {
	host := l.Config.Host
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("cluster %s (%s): the credentials were refused (401 Unauthorized): %w", l.Context, host, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("cluster %s (%s): forbidden to read the API version: %w", l.Context, host, err)
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") || apierrors.IsTimeout(err):
		return fmt.Errorf("cluster %s (%s): no answer within %s: %w", l.Context, host, l.Config.Timeout, err)
	}
	return fmt.Errorf("cluster %s (%s): cannot reach the API server: %w", l.Context, host, err)
}

// markControlled links objects to their controller when it is loaded too,
// so pod checks report a Deployment once and not on each ReplicaSet and Pod.
func markControlled(inv *inventory.Inventory) {
	for _, o := range inv.All() {
		ref, ok := ControllerOf(o)
		if !ok {
			continue
		}
		if owner := inv.Get(ref.GroupKind(), o.Namespace, ref.Name); owner != nil && len(owner.Pods()) > 0 {
			ref := owner.Ref
			o.Controller = &ref
		}
	}
}

// ControllerOf names the object's controller (its owner reference marked
// controller), whose pod template judges the object when it is read too;
// none when the controller's objects run more than its template
// (inventory.JudgedThrough: a Knative Revision's Deployment).
func ControllerOf(o *inventory.Object) (inventory.Ref, bool) {
	c := metav1.GetControllerOfNoCopy(&o.Meta)
	if c == nil {
		return inventory.Ref{}, false
	}
	ref := inventory.Ref{APIVersion: c.APIVersion, Kind: c.Kind, Namespace: o.Namespace, Name: c.Name}
	if !inventory.JudgedThrough(ref.GroupKind()) {
		return inventory.Ref{}, false
	}
	return ref, true
}
