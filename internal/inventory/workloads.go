package inventory

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/kubeward/kubeward/internal/fieldpath"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CustomWorkload is a widely used custom resource whose controller creates
// pods from a pod template it holds, like a Deployment: its template is
// judged by every pod check. The paths are those of the projects' own Go
// types, the same in every version they serve.
type CustomWorkload struct {
	Kind schema.GroupKind
	// Templates are where the pod templates (PodTemplateSpecs) may sit:
	// one for most kinds, one per kind of job an AdvancedCronJob may make
	// (its API takes one; each written is judged). A resource without one
	// (an Argo Rollout with spec.workloadRef, whose pods are the
	// referenced Deployment's) has no pod to judge.
	Templates []*fieldpath.Path
	// Inline says that Templates hold a PodSpec, not a PodTemplateSpec,
	// and the pods' metadata is the resource's own (Knative's Revision:
	// its RevisionSpec inlines a PodSpec at spec, and its Deployment's
	// pods take the Revision's labels and annotations).
	Inline bool
	// SpecFields are the fields the pod spec's holder adds to PodSpec
	// (Knative's RevisionSpec inlines a PodSpec): not unknown fields.
	SpecFields []string
	// ContainerName is the name the controller gives a container that
	// names none (Knative's "user-container", "user-container-<index>"
	// when there are several), so findings name it as the pods will.
	ContainerName string
	// Selector is where the pod selector sits, a LabelSelector, or a map of
	// labels when SelectorMap (a DeploymentConfig's, like a
	// ReplicationController's); nil when the controller generates it.
	Selector    *fieldpath.Path
	SelectorMap bool
	// Adds says the objects it controls run more than its pod spec
	// (Knative's Revision: its Deployment's pods have Knative's
	// queue-proxy container too), so they are judged on their own, not
	// through it (JudgedThrough).
	Adds bool
	// Resource is the kind's resource (its plural) and Versions every
	// version its project serves, read in the upstream CRDs: what an
	// admission webhook's rules name to be sent the kind.
	Resource string
	Versions []string
}

// What names what a workload's Templates hold, for messages.
func (w *CustomWorkload) What() string {
	if w.Inline {
		return "pod spec"
	}
	return "pod template"
}

var (
	specTemplate = []*fieldpath.Path{fieldpath.New("spec", "template")}
	specSelector = fieldpath.New("spec", "selector")
	// advancedCronJobTemplates: CronJobTemplate's JobTemplate (a
	// batch JobTemplateSpec) and BroadcastJobTemplate (a
	// BroadcastJobTemplateSpec, whose BroadcastJobSpec.Template is a
	// PodTemplateSpec).
	advancedCronJobTemplates = []*fieldpath.Path{
		fieldpath.New("spec", "template", "jobTemplate", "spec", "template"),
		fieldpath.New("spec", "template", "broadcastJobTemplate", "spec", "template"),
	}
)

// customWorkloads are the workload custom resources kubeward judges. Each
// path was read in the project's API types: openshift/api apps/v1
// (DeploymentConfigSpec.Template, a *PodTemplateSpec; Selector, a map),
// argoproj/argo-rollouts v1alpha1 (RolloutSpec.Template; WorkloadRef
// instead of a template), openkruise/kruise apps v1alpha1 and v1beta1
// (CloneSet, Advanced StatefulSet and Advanced DaemonSet: Template,
// Selector; BroadcastJobSpec.Template; AdvancedCronJobSpec.Template, a
// CronJobTemplate), kedacore/keda v1alpha1 (ScaledJobSpec.JobTargetRef, a
// batch/v1 JobSpec) and knative/serving v1 (ConfigurationSpec.Template, a
// RevisionTemplateSpec whose RevisionSpec inlines a PodSpec; Service
// inlines ConfigurationSpec; Revision.Spec is a RevisionSpec).
var customWorkloads = []CustomWorkload{
	{Kind: deploymentConfig, Templates: specTemplate, Selector: specSelector, SelectorMap: true, Resource: "deploymentconfigs", Versions: servesV1},
	{Kind: schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, Templates: specTemplate, Selector: specSelector, Resource: "rollouts", Versions: servesV1alpha1},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "CloneSet"}, Templates: specTemplate, Selector: specSelector, Resource: "clonesets", Versions: servesKruise},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "StatefulSet"}, Templates: specTemplate, Selector: specSelector, Resource: "statefulsets", Versions: servesKruise},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "DaemonSet"}, Templates: specTemplate, Selector: specSelector, Resource: "daemonsets", Versions: servesKruise},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "BroadcastJob"}, Templates: specTemplate, Resource: "broadcastjobs", Versions: servesKruise},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "AdvancedCronJob"}, Templates: advancedCronJobTemplates, Resource: "advancedcronjobs", Versions: servesKruise},
	{Kind: schema.GroupKind{Group: "keda.sh", Kind: "ScaledJob"}, Templates: []*fieldpath.Path{fieldpath.New("spec", "jobTargetRef", "template")}, Resource: "scaledjobs", Versions: servesV1alpha1},
	{Kind: schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"}, Templates: specTemplate, SpecFields: knativeRevisionFields, ContainerName: "user-container", Resource: "services", Versions: servesV1},
	{Kind: schema.GroupKind{Group: "serving.knative.dev", Kind: "Configuration"}, Templates: specTemplate, SpecFields: knativeRevisionFields, ContainerName: "user-container", Resource: "configurations", Versions: servesV1},
	{Kind: schema.GroupKind{Group: "serving.knative.dev", Kind: "Revision"}, Templates: []*fieldpath.Path{podSpecPath}, Inline: true, SpecFields: knativeRevisionFields, ContainerName: "user-container", Adds: true, Resource: "revisions", Versions: servesV1},
}

// The versions served: openshift/api has apps/v1 alone; Argo Rollouts and
// KEDA serve v1alpha1 alone; Knative Serving's 1.x releases v1 alone;
// OpenKruise serves each of these kinds as v1alpha1 and v1beta1 (its
// apis/apps/v1beta1 holds all five; older releases had StatefulSet alone
// in v1beta1).
var (
	servesV1       = []string{"v1"}
	servesV1alpha1 = []string{"v1alpha1"}
	servesKruise   = []string{"v1alpha1", "v1beta1"}
)

// CustomWorkloads are the workload custom resources kubeward judges (a
// copy; the values they point to are shared: read them only).
func CustomWorkloads() []CustomWorkload { return slices.Clone(customWorkloads) }

// knativeRevisionFields are RevisionSpec's own fields beside its PodSpec.
var knativeRevisionFields = []string{"containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds", "idleTimeoutSeconds"}

// legacyDeploymentConfig is a DeploymentConfig in OpenShift 3's legacy
// API ("apiVersion: v1", served at /oapi/v1 beside the core group), which
// oc still accepts and old manifests and templates hold: the same object
// as apps.openshift.io/v1's. No other kind of the core group is mapped.
var legacyDeploymentConfig = schema.GroupKind{Kind: "DeploymentConfig"}

// GroupKindOf is the group and kind of an object written with this
// apiVersion and kind: OpenShift's legacy DeploymentConfig is in
// apps.openshift.io.
func GroupKindOf(apiVersion, kind string) schema.GroupKind {
	gk := schema.GroupKind{Group: GroupOf(apiVersion), Kind: kind}
	if gk == legacyDeploymentConfig && apiVersion == "v1" {
		return deploymentConfig
	}
	return gk
}

// CustomWorkloadOf returns how a kind keeps its pod template, when it is
// one of the workload custom resources kubeward judges.
func CustomWorkloadOf(gk schema.GroupKind) (*CustomWorkload, bool) {
	for i := range customWorkloads {
		if customWorkloads[i].Kind == gk {
			return &customWorkloads[i], true
		}
	}
	return nil, false
}

// JudgedThrough reports whether the objects a controller of this kind
// controls (a Deployment's ReplicaSets, a Rollout's, a Configuration's
// Revisions) hold copies of its pods, judged through it when both are
// read; not a Knative Revision's Deployment (CustomWorkload.Adds).
func JudgedThrough(controller schema.GroupKind) bool {
	w, ok := CustomWorkloadOf(controller)
	return !ok || !w.Adds
}

// customWorkloadKinds lists the kinds of customWorkloads.
func customWorkloadKinds() []schema.GroupKind {
	out := make([]schema.GroupKind, len(customWorkloads))
	for i, w := range customWorkloads {
		out[i] = w.Kind
	}
	return out
}

// NewUnstructured builds an object of a kind without a Go type here (a
// custom resource) from its map, kept as Raw for the checks that read it.
// Its pods, when it is a workload, are set by SetPodTemplate.
func NewUnstructured(u *unstructured.Unstructured, src Source) *Object {
	o := NewMeta(u.GetAPIVersion(), u.GetKind(), metav1.ObjectMeta{
		Name: u.GetName(), GenerateName: u.GetGenerateName(), Namespace: u.GetNamespace(),
		Labels: u.GetLabels(), Annotations: u.GetAnnotations(), UID: u.GetUID(),
		OwnerReferences: u.GetOwnerReferences(),
	}, src)
	o.Raw = u
	return o
}

// NewLive builds an object of a custom resource read from an API server
// (a cluster, an admission review) and converts the pod templates of a
// workload custom resource. A template that does not convert (a field of
// the wrong type in a schemaless template) gives no pods and is returned
// in the error, with the object, for the caller to report; the other
// templates of the object are still read.
func NewLive(u *unstructured.Unstructured, src Source) (*Object, error) {
	o := NewUnstructured(u, src)
	w, ok := CustomWorkloadOf(o.GroupKind())
	if !ok {
		return o, nil
	}
	var errs []error
	for _, at := range w.Templates {
		m, found, err := unstructured.NestedMap(u.Object, fieldNames(at)...)
		if err != nil {
			// The accessor's error quotes the value: it is not repeated.
			errs = append(errs, fmt.Errorf("%s: %s is not a %s: not a mapping", o.Ref, at, w.What()))
			continue
		}
		if !found || m == nil {
			continue
		}
		t := w.NewTarget()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s is not a %s: %w", o.Ref, at, w.What(), err))
			continue
		}
		o.AddPod(w, at, t)
	}
	return o, errors.Join(errs...)
}

// NewTarget is an empty value of what w's Templates hold: a
// *corev1.PodTemplateSpec, or a *corev1.PodSpec when Inline.
func (w *CustomWorkload) NewTarget() any {
	if w.Inline {
		return &corev1.PodSpec{}
	}
	return &corev1.PodTemplateSpec{}
}

// AddPod gives an object of a workload custom resource the pods of v, a
// value of w.NewTarget read at at (one of w.Templates), with the names its
// controller gives unnamed containers. A pod spec held inline has the
// object's own metadata.
func (o *Object) AddPod(w *CustomWorkload, at *fieldpath.Path, v any) {
	var p *Pod
	switch t := v.(type) {
	case *corev1.PodTemplateSpec:
		p = &Pod{Object: o, Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: at.Child("metadata"), SpecPath: at.Child("spec")}
	case *corev1.PodSpec:
		p = &Pod{Object: o, Meta: &o.Meta, Spec: t, MetaPath: objectMetaPath, SpecPath: at}
	default:
		return
	}
	if w.ContainerName != "" {
		// Knative's RevisionSpec.SetDefaults (serving/pkg/apis/serving/v1).
		cs := p.Spec.Containers
		for i := range cs {
			switch {
			case cs[i].Name != "":
			case len(cs) == 1:
				cs[i].Name = w.ContainerName
			default:
				cs[i].Name = w.ContainerName + "-" + strconv.Itoa(i)
			}
		}
	}
	o.pods = append(o.pods, p)
}

// PodSelector is the pod selector of a workload custom resource, from its
// map; nil when it has none (or one of the wrong shape).
func (o *Object) PodSelector() *metav1.LabelSelector {
	w, ok := CustomWorkloadOf(o.GroupKind())
	if !ok || w.Selector == nil || o.Raw == nil {
		return nil
	}
	names := fieldNames(w.Selector)
	if w.SelectorMap {
		m, found, err := unstructured.NestedStringMap(o.Raw.Object, names...)
		if err != nil || !found || len(m) == 0 {
			return nil
		}
		return &metav1.LabelSelector{MatchLabels: m}
	}
	m, found, err := unstructured.NestedMap(o.Raw.Object, names...)
	if err != nil || !found {
		return nil
	}
	s := &metav1.LabelSelector{}
	if runtime.DefaultUnstructuredConverter.FromUnstructured(m, s) != nil {
		return nil
	}
	return s
}

// fieldNames are the names of a path of fields, as unstructured's Nested
// functions take them.
func fieldNames(p *fieldpath.Path) []string {
	elems := p.Elems()
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = e.Name
	}
	return out
}
