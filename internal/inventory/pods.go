package inventory

import (
	"sync"

	"github.com/kubeward/kubeward/internal/fieldpath"
	appsv1 "k8s.io/api/apps/v1"
	appsv1beta1 "k8s.io/api/apps/v1beta1"
	appsv1beta2 "k8s.io/api/apps/v1beta2"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod is a pod spec found in an object: a Pod itself or the template of a
// workload. Pod checks are written once against it.
type Pod struct {
	Object   *Object
	Meta     *metav1.ObjectMeta // the template's metadata (a Pod's own for Pods)
	Spec     *corev1.PodSpec
	MetaPath *fieldpath.Path // where Meta sits in the object
	SpecPath *fieldpath.Path // where Spec sits in the object

	// containers is Containers' list, built on the first call: a review
	// runs some twenty checks that each walk the containers, and building
	// the list each time (a slice and two path nodes per container) was a
	// tenth of a review's allocations. Pods are built by extractPods and
	// their specs are not changed after, so the list stays true.
	containers     []Container
	containersOnce sync.Once
	// triggers is what OpenShift image triggers write (PendingImageTrigger),
	// read on first use like containers.
	triggers     podTriggers
	triggersOnce sync.Once
}

// Namespace is the namespace the pods will run in: the owner's.
func (p *Pod) Namespace() string { return p.Object.Namespace }

// ServiceAccountName is the account the pods run as ("default" when unset).
func (p *Pod) ServiceAccountName() string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
	}
	if p.Spec.DeprecatedServiceAccount != "" {
		return p.Spec.DeprecatedServiceAccount
	}
	return "default"
}

// Container is one container of a pod spec with its path in the object.
type Container struct {
	*corev1.Container
	Path *fieldpath.Path
	// Kind is "initContainers", "containers" or "ephemeralContainers".
	Kind string
}

// Containers lists init, regular and ephemeral containers, in that order.
// Ephemeral containers are converted to Container, as the Pod Security
// admission visitor does, so checks need not special-case them. The list
// is built once and shared by every caller, concurrently: read it, never
// write to it (appending is safe: its capacity is its length, so an append
// copies).
func (p *Pod) Containers() []Container {
	p.containersOnce.Do(func() { p.containers = p.listContainers() })
	return p.containers
}

func (p *Pod) listContainers() []Container {
	s := p.Spec
	out := make([]Container, 0, len(s.InitContainers)+len(s.Containers)+len(s.EphemeralContainers))
	for i := range s.InitContainers {
		out = append(out, Container{&s.InitContainers[i], p.SpecPath.Child("initContainers").Index(i), "initContainers"})
	}
	for i := range s.Containers {
		out = append(out, Container{&s.Containers[i], p.SpecPath.Child("containers").Index(i), "containers"})
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		out = append(out, Container{&c, p.SpecPath.Child("ephemeralContainers").Index(i), "ephemeralContainers"})
	}
	return out
}

var (
	podTemplatePath = fieldpath.New("spec", "template")
	cronJobTemplate = fieldpath.New("spec", "jobTemplate", "spec", "template")
	objectMetaPath  = fieldpath.New("metadata")
	podSpecPath     = fieldpath.New("spec")
)

func template(o *Object, t *corev1.PodTemplateSpec, at *fieldpath.Path) []*Pod {
	if t == nil {
		return nil
	}
	return []*Pod{{Object: o, Meta: &t.ObjectMeta, Spec: &t.Spec, MetaPath: at.Child("metadata"), SpecPath: at.Child("spec")}}
}

// extractPods finds the pod specs of every workload kind and API version
// that k8s.io/api still carries, so old manifests are checked too.
func extractPods(o *Object) []*Pod {
	switch w := o.Typed.(type) {
	case *corev1.Pod:
		return []*Pod{{Object: o, Meta: &w.ObjectMeta, Spec: &w.Spec, MetaPath: objectMetaPath, SpecPath: podSpecPath}}
	case *corev1.PodTemplate:
		return template(o, &w.Template, fieldpath.New("template"))
	case *corev1.ReplicationController:
		return template(o, w.Spec.Template, podTemplatePath)
	case *appsv1.Deployment:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1.StatefulSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1.DaemonSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1.ReplicaSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *batchv1.Job:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *batchv1.CronJob:
		return template(o, &w.Spec.JobTemplate.Spec.Template, cronJobTemplate)
	case *batchv1beta1.CronJob:
		return template(o, &w.Spec.JobTemplate.Spec.Template, cronJobTemplate)
	case *appsv1beta1.Deployment:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1beta1.StatefulSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1beta2.Deployment:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1beta2.StatefulSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1beta2.DaemonSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *appsv1beta2.ReplicaSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *extensionsv1beta1.Deployment:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *extensionsv1beta1.DaemonSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	case *extensionsv1beta1.ReplicaSet:
		return template(o, &w.Spec.Template, podTemplatePath)
	}
	return nil
}
