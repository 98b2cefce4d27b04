package exposure

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GatewayRoutesFromAllNamespaces reports Gateway API listeners that accept
// routes (HTTPRoutes, TLSRoutes, GRPCRoutes) from every namespace.
//
// Reads: spec.listeners[*].allowedRoutes.namespaces.from and hostname of
// Gateways.
// Allows: Same (the default) and Selector, which name who may attach.
var GatewayRoutesFromAllNamespaces = &check.Check{
	Meta: check.Meta{
		ID:       "gateway-routes-from-all-namespaces",
		Title:    "Gateway listener accepts routes from every namespace",
		Severity: check.Medium,
		Category: check.CategoryExposure,
		Rationale: "With allowedRoutes from All, anyone who may create an HTTPRoute or TLSRoute in any namespace " +
			"attaches it to this listener: a more specific path or a hostname the listener does not pin " +
			"takes another team's traffic, and with it their users' credentials, or publishes an internal service.",
		Fix: "Set allowedRoutes.namespaces.from: Selector with a label that only the namespaces allowed to " +
			"publish carry (or Same), and pin the listener's hostname.",
		Reads: []string{"Gateway spec.listeners[*].allowedRoutes.namespaces.from", "Gateway spec.listeners[*].hostname"},
		Refs: []check.Reference{check.NSA("Network separation and hardening: namespaces"),
			check.MITRE("T1557", "Adversary-in-the-Middle")},
	},
	Object: gatewayRoutesFromAllNamespaces,
	Kinds:  []schema.GroupKind{kindGateway},
}

func init() { check.Register(GatewayRoutesFromAllNamespaces) }

func gatewayRoutesFromAllNamespaces(_ *check.Context, o *inventory.Object) []check.Result {
	var gw gateway
	if o.DecodeRaw(&gw) != nil {
		return nil
	}
	var out []check.Result
	for i, l := range gw.Spec.Listeners {
		if l.routesFrom() != "All" {
			continue
		}
		host := fmt.Sprintf("for hostname %s", l.Hostname)
		if l.Hostname == "" {
			host = "for any hostname they name"
		}
		out = append(out, check.Result{Path: fieldpath.New("spec", "listeners").Index(i).Child("allowedRoutes", "namespaces", "from"),
			Message: fmt.Sprintf("listener %q takes routes from every namespace %s", l.Name, host)})
	}
	return out
}
