package controlplane

import (
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeproxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	kjson "sigs.k8s.io/json"
)

// KubeProxyMetricsBindAddress requires kube-proxy's metrics server to listen
// on loopback only (CIS 4.3.1).
//
// Reads: kube-proxy containers: without --config their
// --metrics-bind-address; with --config (which makes kube-proxy ignore that
// flag) the KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) the
// path names, in a ConfigMap the pod mounts there (kubeadm: ConfigMap
// kube-system/kube-proxy, key config.conf) or a scanned file; and every
// other KubeProxyConfiguration held in a ConfigMap. An empty address is
// the default, 127.0.0.1:10249 (k/k pkg/proxy/apis/config/v1alpha1/defaults.go).
// A --config the scan cannot resolve is a coverage gap.
var KubeProxyMetricsBindAddress = &check.Check{
	Meta: check.Meta{
		ID:       "kube-proxy-metrics-bind-address",
		Title:    "kube-proxy serves metrics on every interface",
		Severity: check.Low,
		Category: check.CategoryNode,
		Rationale: "kube-proxy's metrics endpoint (port 10249) answers without authentication with the node's " +
			"Service and endpoint counts and proxy mode; it needs to be reachable only from the node.",
		Fix:   "Leave metricsBindAddress empty (127.0.0.1:10249), or bind it to 127.0.0.1.",
		Reads: []string{"KubeProxyConfiguration metricsBindAddress (the file kube-proxy --config names, or any ConfigMap holding one)", "kube-proxy --metrics-bind-address, --config"},
		Refs:  []check.Reference{check.CIS("4.3.1", "Ensure that the kube-proxy metrics service is bound to localhost")},
	},
	Needs:     append([]schema.GroupKind{inventory.KindConfigMap, kindKubeProxyConfiguration}, componentKinds...),
	Inventory: kubeProxyMetrics,
	Subject:   kubeProxySubject,
}

var kindKubeProxyConfiguration = schema.GroupKind{Group: "kubeproxy.config.k8s.io", Kind: "KubeProxyConfiguration"}

// GapKubeProxyConfig: kube-proxy's --config names a file the scan cannot
// resolve.
const GapKubeProxyConfig = "kube-proxy-config"

// kubeProxyConfigs finds the KubeProxyConfigurations held in ConfigMaps.
func kubeProxyConfigs(ctx *check.Context, inv *inventory.Inventory) []*componentConfig {
	var out []*componentConfig
	for _, o := range inv.ByKind(inventory.KindConfigMap) {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		keys := make([]string, 0, len(cm.Data))
		for k := range cm.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			data := cm.Data[key]
			if !strings.Contains(data, "KubeProxyConfiguration") {
				continue
			}
			if j, ok := configMapKeyJSON(ctx, o, key); ok {
				out = append(out, &componentConfig{obj: o, path: fieldpath.New("data").Key(key),
					name: fmt.Sprintf("KubeProxyConfiguration in ConfigMap %s/%s data[%s]", o.Namespace, o.Name, key), json: j})
			}
		}
	}
	return out
}

func kubeProxyMetrics(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	judged := map[string]bool{} // configurations already judged, by where they are
	judge := func(cfg *componentConfig, user string) {
		key := cfg.obj.Ref.String() + " " + cfg.path.String()
		if judged[key] {
			return
		}
		judged[key] = true
		var kp kubeproxyv1alpha1.KubeProxyConfiguration
		if err := kjson.UnmarshalCaseSensitivePreserveInts(cfg.json, &kp); err != nil || kp.Kind != kindKubeProxyConfiguration.Kind {
			return
		}
		if addr, bad := openMetrics(kp.MetricsBindAddress); bad {
			out = append(out, check.Result{Object: cfg.obj, Path: cfg.field("metricsBindAddress"),
				Message: fmt.Sprintf("%s%s: metricsBindAddress %q: metrics are served on %s", cfg.name, user, kp.MetricsBindAddress, addr)})
		}
	}
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, componentflags.KubeProxy) {
			if strings.TrimSpace(in.args.Get("config").Raw) == "" {
				if addr, bad := openMetrics(in.args.Get("metrics-bind-address").Raw); bad {
					out = append(out, check.Result{Object: o, Path: in.at("metrics-bind-address"),
						Message: fmt.Sprintf("%s: %s: metrics are served on %s", in.name, in.describe("metrics-bind-address"), addr)})
				}
				continue
			}
			cfg, ok := configOf(ctx, inv, in, kindKubeProxyConfiguration)
			if !ok {
				out = append(out, check.Result{Object: o, Path: in.at("config"), Undecided: GapKubeProxyConfig,
					Message: "kube-proxy --config names a KubeProxyConfiguration the scan cannot resolve (no ConfigMap mounted at that path was read), and kube-proxy ignores --metrics-bind-address with --config"})
				continue
			}
			judge(cfg, fmt.Sprintf(" (--config of %s in %s)", in.name, o.Ref))
		}
	}
	for _, cfg := range kubeProxyConfigs(ctx, inv) {
		judge(cfg, "")
	}
	for _, o := range inv.ByKind(kindKubeProxyConfiguration) {
		if o.Raw == nil {
			continue
		}
		if data, err := json.Marshal(o.Raw.Object); err == nil {
			judge(&componentConfig{obj: o, path: fieldpath.New(), name: "KubeProxyConfiguration " + o.Source.File, json: data}, "")
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
