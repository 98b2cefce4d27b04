package node

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
)

func TestKubeletTLS(t *testing.T) {
	runKubelet(t, KubeletTLSCert, []kcase{
		{"serverTLSBootstrap passes", config(""), nil, 0},
		{"certificate files pass", file("tlsCertFile: /c\ntlsPrivateKeyFile: /k\n"), nil, 0},
		{"neither fires (kubeadm's default)", kubeadmKubeletConfig, []string{cfgName + " tlsCertFile"}, 0},
		{"bootstrap with the gate off fires", config("featureGates: {RotateKubeletServerCertificate: false}\n"), []string{cfgName + " tlsCertFile"}, 0},
	})
	runKubelet(t, KubeletTLSCipherSuites, []kcase{
		{"unset means Go's defaults, which accept CBC suites", config(""), []string{cfgName + " tlsCipherSuites"}, check.Low},
		{"unset without --config too", commandLine("--kubeconfig=/etc/kubernetes/kubelet.conf"), []string{"KubeletCommandLine/kubelet args"}, check.Low},
		{"strong list passes", config("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305]\n"), nil, 0},
		{"RSA key exchange fires medium", config("tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_256_GCM_SHA384]\n"),
			[]string{cfgName + " tlsCipherSuites"}, check.Medium},
		{"repeated flags are one list", commandLine("--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "--tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA"),
			[]string{"KubeletCommandLine/kubelet args[1]"}, check.High},
	})
	runKubelet(t, KubeletTLSMinVersion, []kcase{
		{"unset passes", config(""), nil, 0},
		{"1.1 fires", config("tlsMinVersion: VersionTLS11\n"), []string{cfgName + " tlsMinVersion"}, 0},
	})
}
