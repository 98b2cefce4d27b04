// Package inventory holds the objects of one scan, where each came from, and
// the indexes that cross-object checks need. Every entry point (files, Helm,
// Kustomize, a live cluster, an AdmissionReview) fills the same model.
package inventory

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ref names an object the way people read it.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (r Ref) String() string {
	if r.Namespace != "" {
		return r.Kind + "/" + r.Namespace + "/" + r.Name
	}
	return r.Kind + "/" + r.Name
}

// GroupKind returns the API group and kind of the reference (GroupKindOf:
// a legacy OpenShift DeploymentConfig is apps.openshift.io's).
func (r Ref) GroupKind() schema.GroupKind {
	return GroupKindOf(r.APIVersion, r.Kind)
}

// GroupOf returns the group part of an apiVersion ("" for the core group).
func GroupOf(apiVersion string) string {
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// Source tells where an object came from.
type Source struct {
	// File is the path shown to people, relative to the scan root where it
	// can be; "-" is standard input. Empty for objects read from a cluster.
	File string `json:"file,omitempty"`
	// Document is the zero-based index of the YAML document in File.
	Document int `json:"document"`
	// Line is the first line of the document in File (1-based).
	Line int `json:"line,omitempty"`
	// Template names the Helm template ("# Source:") the object was
	// rendered from; File is then the chart. (A Kustomize object's File is
	// the file it was written in.)
	Template string `json:"template,omitempty"`
	// ListItem is the 1-based position of the object in a List document;
	// 0 when the document is the object itself.
	ListItem int `json:"listItem,omitempty"`
	// Cluster is the kubeconfig context of a live object.
	Cluster         string `json:"cluster,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// Position is a 1-based line and column in a source file: the object's
// (Source), or File when it is set, for a field written in another file
// than the object (a Kustomize patch).
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Locator maps field paths of one object to positions in its source. It is
// nil for objects that have no text (cluster, admission). For a path that
// does not exist, it returns the position of the nearest existing ancestor,
// which is where a missing field would be added.
type Locator interface {
	Locate(paths []*fieldpath.Path) ([]Position, error)
}

// ValueLocator is a Locator that can also place a line of a string value:
// line n (from 1) of the value at path, when the value is written so that
// its lines are the file's (a literal block scalar, "|").
type ValueLocator interface {
	LocateValueLine(path *fieldpath.Path, n int) (Position, bool)
}

// Object is one Kubernetes object of the inventory.
type Object struct {
	Ref
	Meta metav1.ObjectMeta // labels, annotations, generateName; never the whole object
	// Typed is the k8s.io/api type of the object; nil when the kind has no Go
	// type here, when the object failed to decode, or when it was loaded for
	// its metadata only.
	Typed runtime.Object
	// Raw is the object as a map, kept only for kinds without a Go type that
	// some check reads (custom CEL checks on custom resources).
	Raw     *unstructured.Unstructured
	Source  Source
	Locator Locator
	// Controller is set on live objects made by a controller that is itself
	// in the inventory (a Pod of a ReplicaSet of a Deployment): pod checks
	// report on the controller, once, instead of on every copy.
	Controller *Ref

	pods []*Pod
}

// New builds an object from a typed Kubernetes object.
func New(obj runtime.Object, src Source) (*Object, error) {
	acc, err := metaAccessor(obj)
	if err != nil {
		return nil, err
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	o := &Object{
		Ref:    Ref{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: acc.Namespace, Name: nameOf(acc)},
		Meta:   *acc.DeepCopy(),
		Typed:  obj,
		Source: src,
	}
	o.Meta.ManagedFields = nil
	o.pods = extractPods(o)
	return o, nil
}

// NewMeta builds an object known only by its kind and metadata.
func NewMeta(apiVersion, kind string, meta metav1.ObjectMeta, src Source) *Object {
	meta.ManagedFields = nil
	return &Object{
		Ref:    Ref{APIVersion: apiVersion, Kind: kind, Namespace: meta.Namespace, Name: nameOf(&meta)},
		Meta:   meta,
		Source: src,
	}
}

// nameOf falls back to generateName, which manifests for Jobs and bindings
// created with kubectl create use instead of a name.
func nameOf(m *metav1.ObjectMeta) string {
	if m.Name == "" && m.GenerateName != "" {
		return m.GenerateName + "*"
	}
	return m.Name
}

func metaAccessor(obj runtime.Object) (*metav1.ObjectMeta, error) {
	type metaGetter interface{ GetObjectMeta() metav1.Object }
	if g, ok := obj.(metaGetter); ok {
		if om, ok := g.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return om, nil
		}
	}
	return nil, fmt.Errorf("%T has no object metadata", obj)
}

// Slim drops the contents of an object that nothing will read again, keeping
// its identity, source and locator: a large scan then holds little more than
// the objects its cross-object checks need.
func (o *Object) Slim() {
	o.Typed, o.Raw, o.pods = nil, nil, nil
	o.Meta = metav1.ObjectMeta{Name: o.Meta.Name, GenerateName: o.Meta.GenerateName, Namespace: o.Meta.Namespace}
}

// SetNamespace places the object in a namespace, in its reference, its
// metadata and its typed form.
func (o *Object) SetNamespace(ns string) {
	o.Namespace, o.Meta.Namespace = ns, ns
	if o.Typed != nil {
		if m, err := metaAccessor(o.Typed); err == nil {
			m.Namespace = ns
		}
	}
	if o.Raw != nil {
		o.Raw.SetNamespace(ns)
	}
}

// Pods returns the pod specs this object defines or templates.
func (o *Object) Pods() []*Pod { return o.pods }

// Namespaced reports whether the object's kind lives in a namespace.
func (o *Object) Namespaced() bool { return !IsClusterScoped(o.GroupKind()) }

// Locate resolves paths, tolerating a missing locator.
func (o *Object) Locate(paths []*fieldpath.Path) []Position {
	if o.Locator == nil || len(paths) == 0 {
		return make([]Position, len(paths))
	}
	pos, err := o.Locator.Locate(paths)
	if err != nil || len(pos) != len(paths) {
		return make([]Position, len(paths))
	}
	return pos
}

// ValueLine is where line n (from 1) of the string at path is in the file;
// ok is false when the value's lines are not the file's (a folded or
// quoted scalar, JSON) or the object has no text.
func (o *Object) ValueLine(path *fieldpath.Path, n int) (Position, bool) {
	vl, ok := o.Locator.(ValueLocator)
	if !ok || n < 1 {
		return Position{}, false
	}
	return vl.LocateValueLine(path, n)
}

// DecodeRaw converts the object's map (Raw, kept for kinds without a Go
// type here, such as custom resources) into v, a struct with JSON tags.
func (o *Object) DecodeRaw(v any) error {
	if o.Raw == nil {
		return fmt.Errorf("%s: no contents kept", o.Ref)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Raw.Object, v); err != nil {
		return fmt.Errorf("%s: %w", o.Ref, err)
	}
	return nil
}
