package inventory

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KindImage is an image judged on its own (kubeward images check), not
// through a workload: no Kubernetes kind, so no loader or cluster lists it.
var KindImage = schema.GroupKind{Group: "kubeward.dev", Kind: "Image"}

// podKinds are the kinds whose objects hold pod specs.
var podKinds = append(WorkloadKinds[:len(WorkloadKinds):len(WorkloadKinds)], KindImage)

// NewImage is the object of an image judged on its own, named by the
// reference or local source as the user wrote it (name). It holds one pod
// spec of one container that runs image, so that the image checks, which
// read containers' images, judge it as they judge a workload's; they word
// their findings about the image alone (Pod.Standalone). The two differ
// for a local source given the reference it will be pushed as: the object
// is the source read, the image the reference that suppressions and
// exceptions match.
func NewImage(name, image string) *Object {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Image: image}}}}
	o := &Object{Ref: Ref{APIVersion: KindImage.Group + "/v1alpha1", Kind: KindImage.Kind, Name: name}, Typed: pod}
	o.pods = []*Pod{{Object: o, Meta: &pod.ObjectMeta, Spec: &pod.Spec, MetaPath: objectMetaPath, SpecPath: podSpecPath}}
	return o
}

// Standalone reports whether the pod spec is an image's judged on its own
// (NewImage) rather than a workload's.
func (p *Pod) Standalone() bool { return p.Object.GroupKind() == KindImage }
