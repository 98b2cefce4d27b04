package controlplane

import (
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// A kubeadm ClusterConfiguration is judged as the command lines kubeadm
// generates: kubeadm's own secure defaults pass, what it leaves at the
// component default (anonymous auth, profiling, audit, encryption) is
// reported at extraArgs, and extraArgs override kubeadm's choices.
func TestKubeadmClusterConfiguration(t *testing.T) {
	v1beta4 := `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
apiServer:
  extraArgs:
  - {name: anonymous-auth, value: "false"}
  - {name: authorization-mode, value: "AlwaysAllow"}
controllerManager:
  extraArgs:
  - {name: bind-address, value: 0.0.0.0}
etcd:
  local:
    dataDir: /var/lib/etcd
    extraArgs:
    - {name: client-cert-auth, value: "false"}
`
	v1beta3 := `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  extraArgs:
    profiling: "false"
    enable-admission-plugins: "NodeRestriction,AlwaysPullImages"
etcd:
  external:
    endpoints: [http://10.0.0.5:2379]
`
	tests := []struct {
		name string
		yaml string
		want []string // "check-id path"
	}{
		{"v1beta4", v1beta4, []string{
			"apiserver-authorization-always-allow apiServer.extraArgs[1].value",
			"apiserver-profiling apiServer.extraArgs",
			"controller-manager-bind-address controllerManager.extraArgs[0].value",
			"etcd-client-cert-auth etcd.local.extraArgs[0].value",
		}},
		{"v1beta3 with external etcd", v1beta3, []string{
			"apiserver-anonymous-auth apiServer.extraArgs",
			"apiserver-etcd-tls etcd.external.endpoints",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, tt.yaml, nil, APIServerProfiling, APIServerAuthorizationAlwaysAllow, APIServerAnonymousAuth,
				APIServerEtcdTLS, ControllerManagerBindAddress, SchedulerBindAddress, EtcdClientCertAuth)
			var got []string
			for _, f := range fs {
				got = append(got, f.CheckID+" "+f.Path)
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	// kubeadm's local etcd listens on the node's address too: high, not low.
	fs := checktest.Run(t, v1beta4, nil, EtcdClientCertAuth)
	if len(fs) != 1 || fs[0].Severity != check.Critical {
		t.Errorf("etcd without client auth on the node's address: %+v", fs)
	}
}
