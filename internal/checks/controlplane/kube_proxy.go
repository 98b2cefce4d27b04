package controlplane

import (
	"fmt"
	"net"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// KubeProxyMetricsBindAddress requires kube-proxy's metrics server to listen
// on loopback only (CIS 4.3.1).
//
// Reads: the metricsBindAddress of every KubeProxyConfiguration held in a
// ConfigMap (kubeadm: kube-system/kube-proxy, key config.conf), and
// --metrics-bind-address of kube-proxy containers started without
// --config (with --config the flag is ignored). An empty address is the
// default, 127.0.0.1:10249 (k/k pkg/proxy/apis/config/v1alpha1/defaults.go).
var KubeProxyMetricsBindAddress = &check.Check{
	Meta: check.Meta{
		ID:       "kube-proxy-metrics-bind-address",
		Title:    "kube-proxy serves metrics on every interface",
		Severity: check.Low,
		Category: check.CategoryNode,
		Rationale: "kube-proxy's metrics endpoint (port 10249) answers without authentication with the node's " +
			"Service and endpoint counts and proxy mode; it needs to be reachable only from the node.",
		Fix:   "Leave metricsBindAddress empty (127.0.0.1:10249), or bind it to 127.0.0.1.",
		Reads: []string{"ConfigMap data[*] holding a KubeProxyConfiguration: metricsBindAddress", "kube-proxy --metrics-bind-address, --config"},
		Refs:  []check.Reference{check.CIS("4.3.1", "Ensure that the kube-proxy metrics service is bound to localhost")},
	},
	Needs:     append([]schema.GroupKind{inventory.KindConfigMap}, componentKinds...),
	Inventory: kubeProxyMetrics,
}

func kubeProxyMetrics(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, o := range inv.ByKind(inventory.KindConfigMap) {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		for key, data := range cm.Data {
			if !strings.Contains(data, "KubeProxyConfiguration") {
				continue
			}
			var cfg struct {
				Kind               string `json:"kind"`
				MetricsBindAddress string `json:"metricsBindAddress"`
				BindAddress        string `json:"bindAddress"`
			}
			if err := yaml.Unmarshal([]byte(data), &cfg); err != nil || cfg.Kind != "KubeProxyConfiguration" {
				continue
			}
			if addr, bad := openMetrics(cfg.MetricsBindAddress); bad {
				out = append(out, check.Result{Object: o, Path: fieldpath.New("data").Key(key),
					Message: fmt.Sprintf("KubeProxyConfiguration in data[%s]: metricsBindAddress %q: metrics are served on %s", key, cfg.MetricsBindAddress, addr)})
			}
		}
	}
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, componentflags.KubeProxy) {
			if strings.TrimSpace(in.args.Get("config").Raw) != "" {
				continue // the configuration file decides (judged in its ConfigMap)
			}
			if addr, bad := openMetrics(in.args.Get("metrics-bind-address").Raw); bad {
				out = append(out, check.Result{Object: o, Path: in.at("metrics-bind-address"),
					Message: fmt.Sprintf("%s: %s: metrics are served on %s", in.name, in.describe("metrics-bind-address"), addr)})
			}
		}
	}
	return out
}

// openMetrics reports an address that is not loopback.
func openMetrics(addr string) (string, bool) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", false
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || ip.IsLoopback() {
		return "", false
	}
	if ip.IsUnspecified() {
		return "every interface", true
	}
	return ip.String(), true
}

func init() { check.Register(KubeProxyMetricsBindAddress) }
