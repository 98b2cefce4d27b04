package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestCipherFindings(t *testing.T) {
	tests := []struct {
		suites []string
		sev    check.Severity
	}{
		{[]string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"}, check.SeverityUnknown},
		{[]string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, check.Low},
		{[]string{"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, check.Medium},
		{[]string{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256"}, check.High},
		{[]string{"TLS_NOT_A_SUITE"}, check.Medium},
		{nil, check.SeverityUnknown},
	}
	for _, tt := range tests {
		msg, sev := CipherFindings(tt.suites)
		if sev != tt.sev || (sev == check.SeverityUnknown) != (msg == "") {
			t.Errorf("%q: %q %s, want %s", tt.suites, msg, sev, tt.sev)
		}
	}
}

func TestAPIServerTLS(t *testing.T) {
	h := hardenedAPIServer
	weak := with(h, "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_RC4_128_SHA")
	strong := with(h, "--tls-cipher-suites="+StrongCiphers)
	runFlagCases(t, APIServerTLSCipherSuites, "kube-apiserver", "kube-apiserver", []flagCase{
		{"unset means Go's defaults, which accept CBC suites", h, []string{at(apiPod, h, "tls-cipher-suites")}},
		{"the CIS list passes", strong, nil},
		{"RC4 fires", weak, []string{at(apiPod, weak, "tls-cipher-suites")}},
	})
	fs := checktest.Run(t, staticPod("kube-apiserver", "kube-apiserver", weak), nil, APIServerTLSCipherSuites)
	if len(fs) != 1 || fs[0].Severity != check.High {
		t.Errorf("an insecure suite is high: %+v", fs)
	}
	old := with(h, "--tls-min-version=VersionTLS10")
	runFlagCases(t, APIServerTLSMinVersion, "kube-apiserver", "kube-apiserver", []flagCase{
		{"unset is TLS 1.2", h, nil},
		{"1.3 passes", with(h, "--tls-min-version=VersionTLS13"), nil},
		{"1.0 fires", old, []string{at(apiPod, old, "tls-min-version")}},
	})
	etcdWeak := with(hardenedEtcd, "--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	etcdPlain := with(hardenedEtcd, "--listen-client-urls=http://127.0.0.1:2379", "--listen-peer-urls=http://127.0.0.1:2380")
	runFlagCases(t, EtcdCipherSuites, "etcd", "etcd", []flagCase{
		{"unset means Go's defaults", hardenedEtcd, []string{at("Pod/etcd", hardenedEtcd, "cipher-suites")}},
		{"the CIS list passes", with(hardenedEtcd, "--cipher-suites="+StrongCiphers), nil},
		{"CBC fires low", etcdWeak, []string{at("Pod/etcd", etcdWeak, "cipher-suites")}},
		{"no TLS listener: nothing to choose suites for", etcdPlain, nil},
	})
}

// An unset list is judged as the release's Go defaults: the go line of the
// image's release and GODEBUG decide which weak suites are in them.
func TestDefaultCiphersByRelease(t *testing.T) {
	tests := []struct {
		image, godebug string
		sev            check.Severity
		has, hasNot    string
	}{
		{"registry.k8s.io/kube-apiserver:v1.37.2", "", check.Low, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_RSA_"},
		{"registry.k8s.io/kube-apiserver:v1.37.2", "tlsrsakex=1", check.Medium, "TLS_RSA_WITH_AES_256_CBC_SHA", "3DES"},
		{"registry.k8s.io/kube-apiserver:v1.31.4", "", check.High, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_"},
		{"registry.k8s.io/kube-apiserver:v1.29.15", "", check.High, "TLS_RSA_WITH_AES_256_CBC_SHA", "RC4"},
		{"my.registry/kube-apiserver@sha256:0123", "", check.Low, "a current kube-apiserver", "TLS_RSA_"},
	}
	for _, tt := range tests {
		env := ""
		if tt.godebug != "" {
			env = "\n    env: [{name: GODEBUG, value: \"" + tt.godebug + "\"}]"
		}
		yaml := "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver, namespace: kube-system}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: " +
			tt.image + "\n    command: [kube-apiserver, --authorization-mode=Node,RBAC]" + env + "\n"
		fs := checktest.Run(t, yaml, nil, APIServerTLSCipherSuites)
		if len(fs) != 1 {
			t.Fatalf("%s %s: %+v", tt.image, tt.godebug, fs)
		}
		if fs[0].Severity != tt.sev || !strings.Contains(fs[0].Message, tt.has) || strings.Contains(fs[0].Message, tt.hasNot) {
			t.Errorf("%s %s: %s %q", tt.image, tt.godebug, fs[0].Severity, fs[0].Message)
		}
	}
}
