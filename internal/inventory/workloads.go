package inventory

import (
	"fmt"
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
	// Template is where the pod template (a PodTemplateSpec) sits. A
	// resource without one (an Argo Rollout with spec.workloadRef, whose
	// pods are the referenced Deployment's) has no pod to judge.
	Template *fieldpath.Path
	// SpecFields are the fields the template's spec adds to PodSpec
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
}

var (
	specTemplate = fieldpath.New("spec", "template")
	specSelector = fieldpath.New("spec", "selector")
)

// customWorkloads are the workload custom resources kubeward judges. Each
// path was read in the project's API types: openshift/api apps/v1
// (DeploymentConfigSpec.Template, a *PodTemplateSpec; Selector, a map),
// argoproj/argo-rollouts v1alpha1 (RolloutSpec.Template; WorkloadRef
// instead of a template), openkruise/kruise apps v1alpha1 and v1beta1
// (CloneSet, Advanced StatefulSet and Advanced DaemonSet: Template,
// Selector), kedacore/keda v1alpha1 (ScaledJobSpec.JobTargetRef, a
// batch/v1 JobSpec) and knative/serving v1 (ConfigurationSpec.Template, a
// RevisionTemplateSpec whose RevisionSpec inlines a PodSpec; Service
// inlines ConfigurationSpec).
var customWorkloads = []CustomWorkload{
	{Kind: schema.GroupKind{Group: "apps.openshift.io", Kind: "DeploymentConfig"}, Template: specTemplate, Selector: specSelector, SelectorMap: true},
	{Kind: schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, Template: specTemplate, Selector: specSelector},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "CloneSet"}, Template: specTemplate, Selector: specSelector},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "StatefulSet"}, Template: specTemplate, Selector: specSelector},
	{Kind: schema.GroupKind{Group: "apps.kruise.io", Kind: "DaemonSet"}, Template: specTemplate, Selector: specSelector},
	{Kind: schema.GroupKind{Group: "keda.sh", Kind: "ScaledJob"}, Template: fieldpath.New("spec", "jobTargetRef", "template")},
	{Kind: schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"}, Template: specTemplate, SpecFields: knativeRevisionFields, ContainerName: "user-container"},
	{Kind: schema.GroupKind{Group: "serving.knative.dev", Kind: "Configuration"}, Template: specTemplate, SpecFields: knativeRevisionFields, ContainerName: "user-container"},
}

// knativeRevisionFields are RevisionSpec's own fields beside its PodSpec.
var knativeRevisionFields = []string{"containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds", "idleTimeoutSeconds"}

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
// (a cluster, an admission review) and converts the pod template of a
// workload custom resource. A template that does not convert (a field of
// the wrong type in a schemaless template) leaves the object without pods
// and is returned as the error, with the object, for the caller to report.
func NewLive(u *unstructured.Unstructured, src Source) (*Object, error) {
	o := NewUnstructured(u, src)
	w, ok := CustomWorkloadOf(o.GroupKind())
	if !ok {
		return o, nil
	}
	m, found, err := unstructured.NestedMap(u.Object, fieldNames(w.Template)...)
	if err != nil {
		// The accessor's error quotes the value: it is not repeated.
		return o, fmt.Errorf("%s: %s is not a pod template: not a mapping", o.Ref, w.Template)
	}
	if !found || m == nil {
		return o, nil
	}
	t := &corev1.PodTemplateSpec{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, t); err != nil {
		return o, fmt.Errorf("%s: %s is not a pod template: %w", o.Ref, w.Template, err)
	}
	o.SetPodTemplate(w, t)
	return o, nil
}

// SetPodTemplate gives an object of a workload custom resource its pod
// template, read at w.Template, with the names its controller gives
// unnamed containers.
func (o *Object) SetPodTemplate(w *CustomWorkload, t *corev1.PodTemplateSpec) {
	if w.ContainerName != "" {
		// Knative's RevisionSpec.SetDefaults (serving/pkg/apis/serving/v1).
		cs := t.Spec.Containers
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
	o.pods = template(o, t, w.Template)
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
