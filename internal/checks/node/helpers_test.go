package node

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// kubeadm's KubeletConfiguration (v1.37 `kubeadm init` output, trimmed).
const kubeadmKubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS: [10.96.0.10]
clusterDomain: cluster.local
healthzBindAddress: 127.0.0.1
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
`

// hardened adds what kubeadm leaves at insecure defaults.
const hardenedExtra = `serverTLSBootstrap: true
podPidsLimit: 4096
seccompDefault: true
protectKernelDefaults: true
`

func config(extra string) string { return kubeadmKubeletConfig + hardenedExtra + extra }

// commandLine renders a KubeletCommandLine as kubeward node builds it.
func commandLine(args ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: node.kubeward.dev/v1alpha1\nkind: KubeletCommandLine\nmetadata: {name: kubelet}\nargs:\n")
	for _, a := range args {
		fmt.Fprintf(&b, "- %q\n", a)
	}
	return b.String()
}

type kcase struct {
	name string
	yaml string
	want []string
	sev  check.Severity // of every finding, when set
}

func runKubelet(t *testing.T, c *check.Check, cases []kcase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, tt.yaml, nil, c)
			checktest.Expect(t, fs, tt.want...)
			for _, f := range fs {
				if tt.sev != 0 && f.Severity != tt.sev {
					t.Errorf("severity %s, want %s: %s", f.Severity, tt.sev, f.Message)
				}
				if !strings.HasPrefix(f.Message, "kubelet ") {
					t.Errorf("message %q does not name the kubelet", f.Message)
				}
			}
		})
	}
}
