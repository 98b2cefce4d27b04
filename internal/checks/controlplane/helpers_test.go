package controlplane

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// kubeadm's kube-apiserver flags (v1.37, cmd/kubeadm/app/phases/controlplane/manifests.go)
// plus what a hardened cluster adds.
var hardenedAPIServer = []string{
	"--advertise-address=10.0.0.10",
	"--allow-privileged=true",
	"--anonymous-auth=false",
	"--audit-log-path=/var/log/kubernetes/audit/audit.log",
	"--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
	"--authorization-mode=Node,RBAC",
	"--client-ca-file=/etc/kubernetes/pki/ca.crt",
	"--enable-admission-plugins=NodeRestriction",
	"--enable-bootstrap-token-auth=true",
	"--encryption-provider-config=/etc/kubernetes/enc/enc.yaml",
	"--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
	"--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
	"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
	"--etcd-servers=https://127.0.0.1:2379",
	"--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
	"--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
	"--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
	"--profiling=false",
	"--secure-port=6443",
	"--service-account-extend-token-expiration=false",
	"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
	"--service-account-key-file=/etc/kubernetes/pki/sa.pub",
	"--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
	"--service-cluster-ip-range=10.96.0.0/12",
	"--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
	"--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
}

// with returns base with the flags named in changes replaced (or added);
// "-name" removes a flag.
func with(base []string, changes ...string) []string {
	name := func(a string) string { n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); return n }
	drop := map[string]bool{}
	var add []string
	for _, c := range changes {
		if strings.HasPrefix(c, "-") && !strings.HasPrefix(c, "--") {
			drop[c[1:]] = true
			continue
		}
		drop[name(c)] = true
		add = append(add, c)
	}
	var out []string
	for _, b := range base {
		if !drop[name(b)] {
			out = append(out, b)
		}
	}
	return append(out, add...)
}

// staticPod renders a kubeadm-style static Pod running binary with args.
func staticPod(name, binary string, args []string) string {
	var b strings.Builder
	tag := "v1.37.2"
	if binary == "etcd" {
		tag = "3.6.4-0" // kubeadm v1.37's etcd
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: kube-system\n  labels: {component: %s, tier: control-plane}\nspec:\n  containers:\n  - name: %s\n    image: registry.k8s.io/%s:%s\n    command:\n    - %s\n", name, binary, binary, binary, tag, binary)
	for _, a := range args {
		fmt.Fprintf(&b, "    - %q\n", a)
	}
	return b.String()
}

// at is the finding that names flag in a static pod made by staticPod:
// the command element that holds it, or the command list when it is absent.
func at(kindName string, args []string, flag string) string {
	idx := -1
	for i, a := range args {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if n == flag {
			idx = i
		}
	}
	if idx < 0 {
		return kindName + " spec.containers[0].command"
	}
	return fmt.Sprintf("%s spec.containers[0].command[%d]", kindName, idx+1)
}

type checkCase struct {
	check *check.Check
	cases []flagCase
}

type flagCase struct {
	name string
	args []string
	want []string // finding descriptions; nil for none
}

// runFlagCases runs one check over static pods of one component.
func runFlagCases(t *testing.T, c *check.Check, podName, binary string, cases []flagCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, staticPod(podName, binary, tt.args), nil, c)
			checktest.Expect(t, fs, tt.want...)
			for _, f := range fs {
				if f.CheckID != c.ID || f.Message == "" {
					t.Errorf("finding %+v", f)
				}
			}
		})
	}
}
