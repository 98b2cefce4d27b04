package pss

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestHasSource: a volume has a source when any of VolumeSource's fields
// is set, the common ones tested directly and the others by reflection.
func TestHasSource(t *testing.T) {
	if hasSource(&corev1.VolumeSource{}) {
		t.Error("an empty VolumeSource has a source")
	}
	typ := reflect.TypeFor[corev1.VolumeSource]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			t.Fatalf("VolumeSource.%s is not a pointer: hasSource must learn it", f.Name)
		}
		var v corev1.VolumeSource
		reflect.ValueOf(&v).Elem().Field(i).Set(reflect.New(f.Type.Elem()))
		if !hasSource(&v) {
			t.Errorf("a volume of %s has no source", f.Name)
		}
	}
}

// TestWithDefaults: a volume without a source becomes an emptyDir, in a
// copy; a spec without one is returned as it is.
func TestWithDefaults(t *testing.T) {
	spec := &corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		{Name: "bare"},
	}}
	got := WithDefaults(spec)
	if got == spec || got.Volumes[1].EmptyDir == nil || got.Volumes[0].ConfigMap == nil || spec.Volumes[1].EmptyDir != nil {
		t.Errorf("got %+v from %+v", got.Volumes, spec.Volumes)
	}
	spec.Volumes = spec.Volumes[:1]
	if WithDefaults(spec) != spec {
		t.Error("a spec without a default to apply was copied")
	}
}
