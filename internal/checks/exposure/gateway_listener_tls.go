package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GatewayListenerWithoutTLS reports Gateway API listeners, and servers of
// Istio Gateways, that serve HTTP without TLS: the Gateway counterpart of
// ingress-without-tls.
//
// Reads: spec.listeners[*].protocol, name, port and allowedRoutes of
// Gateways (gateway.networking.k8s.io); spec.parentRefs and
// spec.rules[*].filters of HTTPRoutes; spec.servers[*].port.protocol and
// tls.httpsRedirect of Istio Gateways (networking.istio.io).
// Allows: HTTPS and TLS listeners and servers; an HTTP listener whose
// attached HTTPRoutes (at least one in the scan) all redirect every request
// to https; an Istio server with tls.httpsRedirect; Gateways that serve
// ACME HTTP-01 challenges, which must be plain HTTP (their name says acme or
// cert-manager, as cert-manager's solver gateways do).
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
		Reads: []string{"Gateway spec.listeners[*].protocol", "HTTPRoute spec.parentRefs", "HTTPRoute spec.rules[*].filters",
			"Gateway (networking.istio.io) spec.servers[*].port.protocol", "Gateway (networking.istio.io) spec.servers[*].tls.httpsRedirect"},
		Refs: []check.Reference{check.NSA("Network separation and hardening: encryption")},
	},
	Inventory: gatewayListenerWithoutTLS,
	Needs:     []schema.GroupKind{kindGateway, kindHTTPRoute, kindIstioGateway},
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
		if acmeSolver(o) || o.DecodeRaw(&gw) != nil {
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
	return append(out, istioServersWithoutTLS(inv)...)
}

func istioServersWithoutTLS(inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, o := range inv.ByKind(kindIstioGateway) {
		var gw istioGateway
		if acmeSolver(o) || o.DecodeRaw(&gw) != nil {
			continue
		}
		for i, s := range gw.Spec.Servers {
			if s.Port == nil || !strings.EqualFold(s.Port.Protocol, "HTTP") || (s.TLS != nil && s.TLS.HTTPSRedirect) {
				continue
			}
			out = append(out, check.Result{Object: o, Path: fieldpath.New("spec", "servers").Index(i).Child("port", "protocol"),
				Message: fmt.Sprintf("server %q serves %s over plain HTTP on port %d", s.Port.Name, strings.Join(s.Hosts, ", "), s.Port.Number)})
		}
	}
	return out
}

// acmeSolver reports whether a Gateway exists to answer ACME HTTP-01
// challenges, which certificate authorities fetch over plain HTTP.
func acmeSolver(o *inventory.Object) bool {
	n := strings.ToLower(o.Name)
	return strings.Contains(n, "acme") || strings.Contains(n, "cert-manager") || strings.Contains(n, "certmanager")
}
