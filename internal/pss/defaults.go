package pss

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// WithDefaults returns the spec as the API server stores it, as far as the
// Pod Security checks can tell: admission sees objects after defaulting, and
// a volume without a source becomes an emptyDir (SetDefaults_Volume in
// k8s.io/kubernetes/pkg/apis/core/v1). The spec is copied only when a
// default applies.
func WithDefaults(spec *corev1.PodSpec) *corev1.PodSpec {
	var out *corev1.PodSpec
	for i := range spec.Volumes {
		if hasSource(&spec.Volumes[i].VolumeSource) {
			continue
		}
		if out == nil {
			cp := *spec
			cp.Volumes = append([]corev1.Volume(nil), spec.Volumes...)
			out = &cp
		}
		out.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	}
	if out == nil {
		return spec
	}
	return out
}

// hasSource reports whether a volume names its source. The sources almost
// every pod uses are tested first: AllPtrFieldsNil walks thirty fields by
// reflection, and every Pod Security check asks for every volume (it was
// most of their time on a typical pod).
func hasSource(v *corev1.VolumeSource) bool {
	return v.ConfigMap != nil || v.Secret != nil || v.EmptyDir != nil || v.Projected != nil ||
		v.PersistentVolumeClaim != nil || v.HostPath != nil || v.DownwardAPI != nil || v.CSI != nil ||
		v.Ephemeral != nil || !ptr.AllPtrFieldsNil(v)
}
