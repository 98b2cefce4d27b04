package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GatewayListenerWithoutTLS reports Gateway API listeners that serve HTTP
// without TLS, the Gateway counterpart of ingress-without-tls.
//
// Reads: spec.listeners[*].protocol, name, port and allowedRoutes of
// Gateways; spec.parentRefs and spec.rules[*].filters of HTTPRoutes.
// Allows: HTTPS and TLS listeners; an HTTP listener whose attached
// HTTPRoutes (at least one in the scan) all redirect every request to
// https.
var GatewayListenerWithoutTLS = &check.Check{
	Meta: check.Meta{
		ID:       "gateway-listener-without-tls",
		Title:    "Gateway listener serves HTTP without TLS",
		Severity: check.Medium,
		Category: check.CategoryExposure,
		Rationale: "A listener with protocol HTTP carries credentials, session cookies and data in clear text " +
			"between clients and the gateway, where anyone on the path can read or change them.",
		Fix: "Serve the hostnames on an HTTPS listener with a certificate (tls.certificateRefs); keep an HTTP " +
			"listener only for an HTTPRoute that redirects to https (a RequestRedirect filter with scheme: https).",
		Reads: []string{"Gateway spec.listeners[*].protocol", "HTTPRoute spec.parentRefs", "HTTPRoute spec.rules[*].filters"},
		Refs:  []check.Reference{check.NSA("Network separation and hardening: encryption")},
	},
	Inventory: gatewayListenerWithoutTLS,
	Needs:     []schema.GroupKind{kindGateway, kindHTTPRoute},
}

func init() { check.Register(GatewayListenerWithoutTLS) }

func gatewayListenerWithoutTLS(_ *check.Context, inv *inventory.Inventory) []check.Result {
	type route struct {
		o *inventory.Object
		r httpRoute
	}
	var routes []route
	for _, o := range inv.ByKind(kindHTTPRoute) {
		var r httpRoute
		if o.DecodeRaw(&r) == nil {
			routes = append(routes, route{o, r})
		}
	}
	var out []check.Result
	for _, o := range inv.ByKind(kindGateway) {
		var gw gateway
		if o.DecodeRaw(&gw) != nil {
			continue
		}
		for i, l := range gw.Spec.Listeners {
			if !strings.EqualFold(l.Protocol, "HTTP") {
				continue
			}
			attached, redirecting := 0, 0
			for _, rt := range routes {
				for _, p := range rt.r.Spec.ParentRefs {
					if p.attaches(rt.o.Namespace, o, l) {
						attached++
						if rt.r.redirectsToHTTPS() {
							redirecting++
						}
						break
					}
				}
			}
			if attached > 0 && attached == redirecting {
				continue
			}
			host := l.Hostname
			if host == "" {
				host = "any hostname"
			}
			out = append(out, check.Result{Object: o, Path: fieldpath.New("spec", "listeners").Index(i).Child("protocol"),
				Message: fmt.Sprintf("listener %q serves %s over plain HTTP on port %d", l.Name, host, l.Port)})
		}
	}
	return out
}
