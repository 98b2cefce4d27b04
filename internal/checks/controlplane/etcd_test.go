package controlplane

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// kubeadm's etcd flags (v1.37, cmd/kubeadm/app/phases/etcd/local.go).
var hardenedEtcd = []string{
	"--advertise-client-urls=https://10.0.0.10:2379",
	"--cert-file=/etc/kubernetes/pki/etcd/server.crt",
	"--client-cert-auth=true",
	"--data-dir=/var/lib/etcd",
	"--initial-advertise-peer-urls=https://10.0.0.10:2380",
	"--initial-cluster=cp1=https://10.0.0.10:2380",
	"--key-file=/etc/kubernetes/pki/etcd/server.key",
	"--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379",
	"--listen-metrics-urls=http://127.0.0.1:2381",
	"--listen-peer-urls=https://10.0.0.10:2380",
	"--name=cp1",
	"--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
	"--peer-client-cert-auth=true",
	"--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
	"--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
	"--snapshot-count=10000",
	"--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
}

const etcdPod = "Pod/etcd"

func TestEtcdFlags(t *testing.T) {
	h := hardenedEtcd
	missing := etcdPod + " spec.containers[0].command"
	run := func(c checkCase) { runFlagCases(t, c.check, "etcd", "etcd", c.cases) }
	plain := with(h, "--listen-client-urls=http://127.0.0.1:2379")
	plainRemote := with(h, "--listen-client-urls=http://0.0.0.0:2379")
	auto := with(h, "-cert-file", "-key-file", "--auto-tls=true")
	peerAuto := with(h, "-peer-cert-file", "-peer-key-file", "--peer-auto-tls")
	run(checkCase{EtcdClientTLS, []flagCase{
		{"https with certificates passes", h, nil},
		{"plain http fires", plain, []string{at(etcdPod, plain, "listen-client-urls")}},
		{"the default listener is plain http", with(h, "-listen-client-urls"), []string{missing}},
		{"https without a certificate fires", with(h, "-cert-file"), []string{missing}},
		{"auto-tls instead of certificates fails 2.1 too", auto, []string{missing}},
		{"a config file replaces flags", with(plain, "--config-file=/etc/etcd.yaml"), nil},
	}})
	// Severity by exposure.
	fs := checktest.Run(t, staticPod("etcd", "etcd", plainRemote), nil, EtcdClientTLS)
	if len(fs) != 1 || fs[0].Severity != check.Critical {
		t.Errorf("plain http on every interface is critical: %+v", fs)
	}
	fs = checktest.Run(t, staticPod("etcd", "etcd", plain), nil, EtcdClientTLS)
	if len(fs) != 1 || fs[0].Severity != check.High {
		t.Errorf("plain http on loopback is high: %+v", fs)
	}

	noAuth := with(h, "--client-cert-auth=false")
	plainNoAuth := with(plain, "-client-cert-auth")
	run(checkCase{EtcdClientCertAuth, []flagCase{
		{"true passes", h, nil},
		{"false fires", noAuth, []string{at(etcdPod, noAuth, "client-cert-auth")}},
		{"default false fires", with(h, "-client-cert-auth"), []string{missing}},
		{"plain http fails 2.2 too: no client is authenticated", plainNoAuth, []string{at(etcdPod, plainNoAuth, "listen-client-urls")}},
	}})
	run(checkCase{EtcdAutoTLS, []flagCase{
		{"off passes", h, nil},
		{"auto-tls without certificates fires", auto, []string{at(etcdPod, auto, "auto-tls")}},
		{"auto-tls is ignored with certificates", with(h, "--auto-tls=true"), nil},
	}})
	peerPlain := with(h, "--listen-peer-urls=http://10.0.0.10:2380")
	peerLocal := with(h, "--listen-peer-urls=http://127.0.0.1:2380")
	run(checkCase{EtcdPeerTLS, []flagCase{
		{"https peers pass", h, nil},
		{"plain http peers fire", peerPlain, []string{at(etcdPod, peerPlain, "listen-peer-urls")}},
		{"https peer without a key fires", with(h, "-peer-key-file"), []string{missing}},
		{"peer auto-tls instead of certificates fails 2.4 too", peerAuto, []string{missing}},
	}})
	fs = checktest.Run(t, staticPod("etcd", "etcd", peerLocal), nil, EtcdPeerTLS)
	if len(fs) != 1 || fs[0].Severity != check.Low {
		t.Errorf("a plain peer listener on loopback is low: %+v", fs)
	}
	peerPlainNoAuth := with(peerPlain, "-peer-client-cert-auth")
	run(checkCase{EtcdPeerClientCertAuth, []flagCase{
		{"true passes", h, nil},
		{"default false fires", with(h, "-peer-client-cert-auth"), []string{missing}},
		{"plain http peers fail 2.5 too: no peer is authenticated", peerPlainNoAuth, []string{at(etcdPod, peerPlainNoAuth, "listen-peer-urls")}},
	}})
	run(checkCase{EtcdPeerAutoTLS, []flagCase{
		{"off passes", h, nil},
		{"bare flag without certificates fires", peerAuto, []string{at(etcdPod, peerAuto, "peer-auto-tls")}},
	}})
}

// etcd's environment variables count where the command line is silent;
// the command line wins; an application's etcd is out of scope.
func TestEtcdEnvironmentAndScope(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: etcd-env, namespace: kube-system}
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.6.4-0
    command: [etcd, --listen-client-urls=https://127.0.0.1:2379, --cert-file=/c, --key-file=/k]
    env:
    - {name: ETCD_CLIENT_CERT_AUTH, value: "false"}
    - {name: ETCD_AUTO_TLS, value: "true"}
---
apiVersion: v1
kind: Pod
metadata: {name: etcd-flag-wins, namespace: kube-system}
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.6.4-0
    command: [etcd, --listen-client-urls=https://127.0.0.1:2379, --cert-file=/c, --key-file=/k, --client-cert-auth]
    env: [{name: ETCD_CLIENT_CERT_AUTH, value: "false"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: app-etcd, namespace: shop}
spec:
  serviceName: app-etcd
  selector: {matchLabels: {app: etcd}}
  template:
    metadata: {labels: {app: etcd}}
    spec:
      containers:
      - {name: etcd, image: quay.io/coreos/etcd:v3.5.1, command: [etcd, --client-cert-auth=false]}
`, nil, EtcdClientCertAuth, EtcdClientTLS)
	checktest.Expect(t, fs, "Pod/etcd-env spec.containers[0].env[0].value")
}

func TestEtcdUniqueCA(t *testing.T) {
	shared := with(hardenedEtcd, "--trusted-ca-file=/etc/kubernetes/pki/ca.crt")
	noCA := with(hardenedEtcd, "-trusted-ca-file")
	tests := []struct {
		name string
		etcd []string
		want []string
	}{
		{"its own CA passes", hardenedEtcd, nil},
		{"the cluster CA fires", shared, []string{at(etcdPod, shared, "trusted-ca-file")}},
		{"no CA fires", noCA, []string{etcdPod + " spec.containers[0].command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := staticPod("kube-apiserver", "kube-apiserver", hardenedAPIServer) + "---\n" + staticPod("etcd", "etcd", tt.etcd)
			checktest.Expect(t, checktest.Run(t, yaml, nil, EtcdUniqueCA), tt.want...)
		})
	}
}

// Settings in files kubeward does not read are coverage gaps, not passes:
// etcd's --config-file, the API server's --authorization-config and
// --authentication-config.
func TestUnreadConfigFilesAreGaps(t *testing.T) {
	for _, tt := range []struct {
		pod   string
		check *check.Check
		gap   string
	}{
		{staticPod("etcd", "etcd", with(hardenedEtcd, "--config-file=/etc/etcd/etcd.yaml")), EtcdClientTLS, GapEtcdConfigFile},
		{staticPod("etcd", "etcd", with(hardenedEtcd, "--config-file=/etc/etcd/etcd.yaml")), EtcdUniqueCA, GapEtcdConfigFile},
		{staticPod("kube-apiserver", "kube-apiserver", with(hardenedAPIServer, "-authorization-mode", "--authorization-config=/etc/kubernetes/authz.yaml")), APIServerAuthorizationRBAC, GapAuthorizationConfig},
		{staticPod("kube-apiserver", "kube-apiserver", with(hardenedAPIServer, "-anonymous-auth", "--authentication-config=/etc/kubernetes/authn.yaml")), APIServerAnonymousAuth, GapAuthenticationConfig},
	} {
		res, _ := checktest.RunResult(t, tt.pod, nil, tt.check)
		if len(res.Findings) != 0 || len(res.Coverage) != 1 || res.Coverage[0].ID != tt.gap || len(res.Coverage[0].Objects) != 1 {
			t.Errorf("%s: findings %d, coverage %+v; want gap %s", tt.check.ID, len(res.Findings), res.Coverage, tt.gap)
		}
	}
}

// etcd's --config-file decides every etcd flag check in flagCheck, before
// any judgement of the flags: flags that would fail each check are not
// reported, only the gap.
func TestEtcdConfigFileDecidesEveryFlagCheck(t *testing.T) {
	weak := with(hardenedEtcd, "--listen-client-urls=http://0.0.0.0:2379", "--listen-peer-urls=https://0.0.0.0:2380",
		"-client-cert-auth", "-peer-client-cert-auth", "-cert-file", "-key-file", "-peer-cert-file", "-peer-key-file", "--auto-tls=true", "--peer-auto-tls=true",
		"--cipher-suites=TLS_RSA_WITH_3DES_EDE_CBC_SHA")
	pod := staticPod("etcd", "etcd", weak)
	withFile := staticPod("etcd", "etcd", with(weak, "--config-file=/etc/etcd/etcd.yaml"))
	for _, c := range []*check.Check{EtcdClientTLS, EtcdClientCertAuth, EtcdAutoTLS, EtcdPeerTLS, EtcdPeerClientCertAuth, EtcdPeerAutoTLS, EtcdCipherSuites} {
		if fs := checktest.Run(t, pod, nil, c); len(fs) == 0 {
			t.Errorf("%s: the weak flags pass without --config-file", c.ID)
		}
		res, _ := checktest.RunResult(t, withFile, nil, c)
		if len(res.Findings) != 0 || len(res.Coverage) != 1 || res.Coverage[0].ID != GapEtcdConfigFile {
			t.Errorf("%s with --config-file: findings %v, coverage %+v; want only gap %s", c.ID, res.Findings, res.Coverage, GapEtcdConfigFile)
		}
	}
}
