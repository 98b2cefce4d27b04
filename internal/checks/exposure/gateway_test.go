package exposure

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

const gw = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: example
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - name: https
    protocol: HTTPS
    port: 443
    hostname: shop.example.com
    tls: {certificateRefs: [{name: shop-cert}]}
    allowedRoutes: {namespaces: {from: All}}
---
`

func TestGatewayListenerWithoutTLS(t *testing.T) {
	checktest.RunFixtures(t, GatewayListenerWithoutTLS, nil, []checktest.Fixture{{
		Name: "an HTTP listener whose routes all redirect to https passes",
		YAML: gw + `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: redirect, namespace: infra}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: shop}
spec:
  parentRefs: [{name: gw, namespace: infra, sectionName: https}]
  rules: [{backendRefs: [{name: web, port: 8080}]}]`,
	}, {
		Name: "an HTTP listener serving an app fails",
		YAML: gw + `apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: app, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 8080}]}]`,
		Want: []string{"Gateway/gw spec.listeners[0].protocol"},
	}, {
		Name: "an HTTP listener with no route in the scan fails",
		YAML: gw,
		Want: []string{"Gateway/gw spec.listeners[0].protocol"},
	}, {
		Name: "Istio Gateway servers: HTTPS and redirects pass, plain HTTP fails",
		YAML: `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 8080, name: redirect, protocol: HTTP}
    hosts: [shop.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: shop}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: cert-manager-gateway, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]`,
		Want: []string{"Gateway/bookinfo spec.servers[0].port.protocol"},
	}})
}

func TestGatewayRoutesFromAllNamespaces(t *testing.T) {
	checktest.RunFixtures(t, GatewayRoutesFromAllNamespaces, nil, []checktest.Fixture{{
		Name: "Same and Selector pass",
		YAML: `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: example
  listeners:
  - {name: a, protocol: HTTP, port: 80}
  - {name: b, protocol: HTTP, port: 8080, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shared-gateway: "true"}}}}}`,
	}, {
		Name: "All fails",
		YAML: gw,
		Want: []string{"Gateway/gw spec.listeners[1].allowedRoutes.namespaces.from"},
	}})
}
