package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestAPIServerEtcd(t *testing.T) {
	h := hardenedAPIServer
	plain := with(h, "--etcd-servers=http://127.0.0.1:2379")
	mixed := with(h, "--etcd-servers=https://10.0.0.1:2379,http://user:pw@10.0.0.2:2379")
	noCert := with(h, "-etcd-certfile")
	noKey := with(h, "--etcd-keyfile=")
	unix := with(h, "--etcd-servers=unix:///run/etcd.sock", "-etcd-certfile", "-etcd-keyfile", "-etcd-cafile")
	runFlagCases(t, APIServerEtcdTLS, "kube-apiserver", "kube-apiserver", []flagCase{
		{"https with a client certificate passes", h, nil},
		{"plain http fires at the servers even with certificates", plain, []string{at(apiPod, plain, "etcd-servers")}},
		{"one http server among https fires", mixed, []string{at(apiPod, mixed, "etcd-servers")}},
		{"https without a client certificate fires", noCert, []string{apiPod + " spec.containers[0].command"}},
		{"empty key fires at it", noKey, []string{at(apiPod, noKey, "etcd-keyfile")}},
		{"a unix socket is local", unix, nil},
	})
	noCA := with(h, "-etcd-cafile")
	runFlagCases(t, APIServerEtcdCA, "kube-apiserver", "kube-apiserver", []flagCase{
		{"set passes", h, nil},
		{"https without a CA fires", noCA, []string{apiPod + " spec.containers[0].command"}},
		{"plain http is the TLS check's", with(plain, "-etcd-cafile"), nil},
	})
	// Credentials in a server URL never reach a message.
	fs := checktest.Run(t, staticPod("kube-apiserver", "kube-apiserver", mixed), nil, APIServerEtcdTLS)
	if len(fs) != 1 || strings.Contains(fs[0].Message, "pw@") || !strings.Contains(fs[0].Message, "REDACTED@10.0.0.2") {
		t.Errorf("findings %+v", fs)
	}
}
