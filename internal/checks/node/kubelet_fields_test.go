package node

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/componentflags"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// Every setting names a real KubeletConfiguration v1beta1 field (by its
// JSON name in k8s.io/kubelet) and a flag the kubelet table knows.
func TestSettingsNameRealFields(t *testing.T) {
	all := []setting{sAnonymous, sAuthnWebhook, sAuthzMode, sClientCA, sReadOnlyPort, sStreaming, sIPTables, sHostname,
		sTLSCert, sTLSKey, sServerBoot, sRotateCerts, sCiphers, sTLSMinVersion, sPodPids, sSeccomp, sProtectKernel}
	for _, s := range all {
		if _, ok := componentflags.Kubelet.Flag(s.flag); !ok {
			t.Errorf("--%s is not in componentflags.Kubelet", s.flag)
		}
		if len(s.field) == 0 {
			continue
		}
		typ := reflect.TypeOf(kubeletv1beta1.KubeletConfiguration{})
		for _, name := range s.field {
			f, ok := jsonField(typ, name)
			if !ok {
				t.Errorf("%s: no field %q in %s", strings.Join(s.field, "."), name, typ)
				break
			}
			typ = f.Type
			for typ.Kind() == reflect.Pointer {
				typ = typ.Elem()
			}
		}
	}
	if _, ok := jsonField(reflect.TypeOf(kubeletv1beta1.KubeletConfiguration{}), "hostnameOverride"); ok {
		t.Error("KubeletConfiguration now has hostnameOverride: read it in sHostname")
	}
}

func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f, true
		}
		if f.Anonymous && tag == "" {
			if g, ok := jsonField(f.Type, name); ok {
				return g, true
			}
		}
	}
	return reflect.StructField{}, false
}
