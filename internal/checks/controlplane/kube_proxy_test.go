package controlplane

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestKubeProxyMetricsBindAddress(t *testing.T) {
	cm := func(addr string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-proxy, namespace: kube-system}\ndata:\n  config.conf: |-\n    apiVersion: kubeproxy.config.k8s.io/v1alpha1\n    kind: KubeProxyConfiguration\n    mode: iptables\n    metricsBindAddress: " + addr + "\n  kubeconfig.conf: 'apiVersion: v1'\n"
	}
	ds := func(args string) string {
		return "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: kube-proxy, namespace: kube-system}\nspec:\n  selector: {matchLabels: {k8s-app: kube-proxy}}\n  template:\n    metadata: {labels: {k8s-app: kube-proxy}}\n    spec:\n      containers:\n      - name: kube-proxy\n        image: registry.k8s.io/kube-proxy:v1.37.2\n        command: [/usr/local/bin/kube-proxy" + args + "]\n" +
			"        volumeMounts: [{name: kube-proxy, mountPath: /var/lib/kube-proxy}]\n      volumes:\n      - name: kube-proxy\n        configMap: {name: kube-proxy}\n"
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"kubeadm's empty address is the loopback default", cm(`""`) + "---\n" + ds(", --config=/var/lib/kube-proxy/config.conf"), nil},
		{"0.0.0.0 in the configuration fires", cm("0.0.0.0:10249"), []string{"ConfigMap/kube-proxy data[config.conf]"}},
		{"IPv6 any fires", cm(`"[::]:10249"`), []string{"ConfigMap/kube-proxy data[config.conf]"}},
		{"loopback passes", cm("127.0.0.1:10249"), nil},
		{"flag without --config fires", ds(", --metrics-bind-address=0.0.0.0:10249"), []string{"DaemonSet/kube-proxy spec.template.spec.containers[0].command[1]"}},
		{"flag ignored with --config", cm(`""`) + "---\n" + ds(", --config=/var/lib/kube-proxy/config.conf, --metrics-bind-address=0.0.0.0:10249"), nil},
		{"the mounted configuration decides, named once", cm("0.0.0.0:10249") + "---\n" + ds(", --config=/var/lib/kube-proxy/config.conf"), []string{"ConfigMap/kube-proxy data[config.conf]"}},
		{"flag default passes", ds(""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := checktest.RunResult(t, tt.yaml, nil, KubeProxyMetricsBindAddress)
			checktest.Expect(t, res.Findings, tt.want...)
			if len(res.Coverage) != 0 {
				t.Errorf("coverage %+v", res.Coverage)
			}
		})
	}
	// A --config the scan cannot resolve is a gap, not a pass.
	res, _ := checktest.RunResult(t, ds(", --config=/etc/kube-proxy/other.conf, --metrics-bind-address=0.0.0.0:10249"), nil, KubeProxyMetricsBindAddress)
	if len(res.Findings) != 0 || len(res.Coverage) != 1 || res.Coverage[0].ID != GapKubeProxyConfig {
		t.Errorf("unresolved --config: findings %d, coverage %+v", len(res.Findings), res.Coverage)
	}
}
