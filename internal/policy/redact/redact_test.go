package redact

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestRedactor(t *testing.T) {
	typed := &inventory.Object{Ref: inventory.Ref{APIVersion: "v1", Kind: "Secret"}, Typed: &corev1.Secret{
		Data:       map[string][]byte{"a": []byte("hunter2-long"), "short": []byte("no")},
		StringData: map[string]string{"b": "correct-horse"},
	}}
	raw := &inventory.Object{Ref: inventory.Ref{APIVersion: "v1", Kind: "Secret"}, Raw: &unstructured.Unstructured{Object: map[string]any{
		"data": map[string]any{"c": "dHJvdWJhZG9y"}, // troubador
	}}}
	other := &inventory.Object{Ref: inventory.Ref{APIVersion: "v1", Kind: "ConfigMap"}, Typed: &corev1.ConfigMap{Data: map[string]string{"x": "visible-value"}}}
	var nilR *Redactor
	r := nilR.With(typed, raw, other, nil)
	in := "hunter2-long aHVudGVyMi1sb25n correct-horse troubador dHJvdWJhZG9y no visible-value"
	got := r.String(in)
	if strings.Count(got, "[redacted]") != 5 || !strings.HasSuffix(got, " no visible-value") {
		t.Errorf("got %q", got)
	}
	if nilR.String(in) != in || nilR.With(other) != nil {
		t.Error("a nil redactor changed something")
	}
	if s := r.Strings([]string{"x hunter2-long"}); s[0] != "x [redacted]" {
		t.Errorf("strings %q", s)
	}
}
