package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

const apiPod = "Pod/kube-apiserver"

func TestAPIServerFlagChecks(t *testing.T) {
	h := hardenedAPIServer
	tests := []struct {
		check *check.Check
		cases []flagCase
	}{
		{APIServerTokenAuthFile, []flagCase{
			{"not set passes", h, nil},
			{"set fires", with(h, "--token-auth-file=/etc/tokens.csv"), []string{at(apiPod, with(h, "--token-auth-file=/etc/tokens.csv"), "token-auth-file")}},
			{"empty value passes", with(h, "--token-auth-file="), nil},
		}},
		{APIServerKubeletClientCert, []flagCase{
			{"both set passes", h, nil},
			{"key missing fires", with(h, "-kubelet-client-key"), []string{apiPod + " spec.containers[0].command"}},
			{"certificate empty fires at it", with(h, "--kubelet-client-certificate="), []string{at(apiPod, with(h, "--kubelet-client-certificate="), "kubelet-client-certificate")}},
		}},
		{APIServerKubeletCertificateAuthority, []flagCase{
			{"set passes", h, nil},
			{"kubeadm default (unset) fires", with(h, "-kubelet-certificate-authority"), []string{apiPod + " spec.containers[0].command"}},
		}},
		{APIServerProfiling, []flagCase{
			{"false passes", h, nil},
			{"default is on", with(h, "-profiling"), []string{apiPod + " spec.containers[0].command"}},
			{"explicit true fires at the flag", with(h, "--profiling=true"), []string{at(apiPod, with(h, "--profiling=true"), "profiling")}},
			{"bare flag is true", with(h, "--profiling"), []string{at(apiPod, with(h, "--profiling"), "profiling")}},
			{"0 is false", with(h, "--profiling=0"), nil},
			{"last occurrence wins", append(with(h, "--profiling=true"), "--profiling=false"), nil},
		}},
		{APIServerServiceAccountLookup, []flagCase{
			{"default true passes", h, nil},
			{"false fires", with(h, "--service-account-lookup=false"), []string{at(apiPod, with(h, "--service-account-lookup=false"), "service-account-lookup")}},
		}},
		{APIServerServiceAccountKeyFile, []flagCase{
			{"set passes", h, nil},
			{"unset fires", with(h, "-service-account-key-file"), []string{apiPod + " spec.containers[0].command"}},
			{"external signer passes", with(h, "-service-account-key-file", "-service-account-signing-key-file", "--service-account-signing-endpoint=/run/signer.sock"), nil},
		}},
		{APIServerTLSCert, []flagCase{
			{"set passes", h, nil},
			{"no certificate fires", with(h, "-tls-cert-file", "-tls-private-key-file"), []string{apiPod + " spec.containers[0].command"}},
		}},
		{APIServerClientCA, []flagCase{
			{"set passes", h, nil},
			{"unset fires", with(h, "-client-ca-file"), []string{apiPod + " spec.containers[0].command"}},
		}},
		{APIServerExtendTokenExpiration, []flagCase{
			{"false passes", h, nil},
			{"default true fires", with(h, "-service-account-extend-token-expiration"), []string{apiPod + " spec.containers[0].command"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.check.ID, func(t *testing.T) { runFlagCases(t, tt.check, "kube-apiserver", "kube-apiserver", tt.cases) })
	}
}

// The same checks read a kube-apiserver wherever it runs: in args, behind a
// wrapper, in a shell script, in a Deployment (hosted control planes), and
// they ignore containers that do not run it.
func TestAPIServerFoundWhereverItRuns(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: hosted, namespace: tenant-a}
spec:
  selector: {matchLabels: {app: kas}}
  template:
    metadata: {labels: {app: kas}}
    spec:
      containers:
      - name: wrapper
        image: x
        command: [/go-runner, --log-file=/var/log/kas.log, --, /usr/local/bin/kube-apiserver]
        args: [--profiling=true, --authorization-mode=Node,RBAC]
      - name: script
        image: x
        command: [/bin/sh, -c, "exec kube-apiserver --profiling=$(PROF) --authorization-mode=RBAC"]
        env: [{name: PROF, value: "true"}]
      - name: sidecar
        image: x
        command: [kube-apiserver-proxy, --profiling=true]
      - name: indirect
        image: x
        command: ["$(BIN)", --profiling]
        env: [{name: BIN, value: /usr/local/bin/kube-apiserver}]
---
apiVersion: v1
kind: Pod
metadata: {name: lookalike}
spec:
  containers:
  - {name: a, image: registry.k8s.io/kube-apiserver:v1.37.2, command: [echo, kube-apiserver is great]}
`, nil, APIServerProfiling)
	checktest.Expect(t, fs,
		"Deployment/hosted spec.template.spec.containers[0].args[0]",
		"Deployment/hosted spec.template.spec.containers[1].command[2]",
		"Deployment/hosted spec.template.spec.containers[3].command[1]")
	for _, f := range fs {
		if !strings.Contains(f.Message, "--profiling=true") {
			t.Errorf("message %q does not show the expanded flag", f.Message)
		}
	}
}

func TestAPIServerFlagPosition(t *testing.T) {
	fs := checktest.Run(t, staticPod("kube-apiserver", "kube-apiserver", []string{"--authorization-mode=Node,RBAC", "--profiling=true"}), nil, APIServerProfiling)
	// The pod header is 11 lines, then the binary (12), the first flag (13)
	// and "--profiling=true" (14).
	if len(fs) != 1 || fs[0].Position.Line != 14 || fs[0].Position.Column != 7 {
		t.Fatalf("findings %+v, want one at 14:7", fs)
	}
}
