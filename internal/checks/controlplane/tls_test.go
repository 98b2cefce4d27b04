package controlplane

import (
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
		{"unset means Go's defaults", h, nil},
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
	runFlagCases(t, EtcdCipherSuites, "etcd", "etcd", []flagCase{
		{"unset passes", hardenedEtcd, nil},
		{"CBC fires low", etcdWeak, []string{at("Pod/etcd", etcdWeak, "cipher-suites")}},
	})
}
