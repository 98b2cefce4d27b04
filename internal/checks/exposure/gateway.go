package exposure

import (
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Gateway API's kinds (gateway.networking.k8s.io, any version: v1,
// v1beta1 and v1alpha2 share the fields read here). They are custom
// resources: the checks declare them as inputs, the decoder keeps them as
// maps, and the structs below read what the checks need.
var (
	kindGateway   = schema.GroupKind{Group: "gateway.networking.k8s.io", Kind: "Gateway"}
	kindHTTPRoute = schema.GroupKind{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}
	// Istio's own Gateway (networking.istio.io) configures its ingress
	// gateways the same way, with servers instead of listeners.
	kindIstioGateway = schema.GroupKind{Group: "networking.istio.io", Kind: "Gateway"}
)

type istioGateway struct {
	Spec struct {
		Servers []struct {
			Port *struct {
				Number   int64  `json:"number"`
				Protocol string `json:"protocol"`
				Name     string `json:"name"`
			} `json:"port,omitempty"`
			Hosts []string `json:"hosts,omitempty"`
			TLS   *struct {
				HTTPSRedirect bool `json:"httpsRedirect,omitempty"`
			} `json:"tls,omitempty"`
		} `json:"servers,omitempty"`
	} `json:"spec"`
}

type gatewayListener struct {
	Name          string `json:"name"`
	Hostname      string `json:"hostname,omitempty"`
	Port          int64  `json:"port"`
	Protocol      string `json:"protocol"`
	AllowedRoutes *struct {
		Namespaces *struct {
			From string `json:"from,omitempty"`
		} `json:"namespaces,omitempty"`
	} `json:"allowedRoutes,omitempty"`
}

// routesFrom is the listener's allowedRoutes.namespaces.from (Same by default).
func (l gatewayListener) routesFrom() string {
	if l.AllowedRoutes == nil || l.AllowedRoutes.Namespaces == nil || l.AllowedRoutes.Namespaces.From == "" {
		return "Same"
	}
	return l.AllowedRoutes.Namespaces.From
}

type gateway struct {
	Spec struct {
		Listeners []gatewayListener `json:"listeners"`
	} `json:"spec"`
}

type parentRef struct {
	Group       *string `json:"group,omitempty"`
	Kind        *string `json:"kind,omitempty"`
	Namespace   string  `json:"namespace,omitempty"`
	Name        string  `json:"name"`
	SectionName string  `json:"sectionName,omitempty"`
	Port        int64   `json:"port,omitempty"`
}

type httpRoute struct {
	Spec struct {
		ParentRefs []parentRef `json:"parentRefs,omitempty"`
		Rules      []struct {
			Filters []struct {
				Type            string `json:"type"`
				RequestRedirect *struct {
					Scheme string `json:"scheme,omitempty"`
				} `json:"requestRedirect,omitempty"`
			} `json:"filters,omitempty"`
		} `json:"rules,omitempty"`
	} `json:"spec"`
}

// attaches reports whether the reference names the listener of the
// Gateway gw (route in namespace routeNS), as the Gateway API matches them:
// group and kind default to the Gateway's, the namespace to the route's,
// and sectionName and port, when set, must match.
func (p parentRef) attaches(routeNS string, gw *inventory.Object, l gatewayListener) bool {
	if (p.Group != nil && *p.Group != kindGateway.Group) || (p.Kind != nil && *p.Kind != kindGateway.Kind) {
		return false
	}
	ns := p.Namespace
	if ns == "" {
		ns = routeNS
	}
	return ns == gw.Namespace && p.Name == gw.Name && (p.SectionName == "" || p.SectionName == l.Name) && (p.Port == 0 || p.Port == l.Port)
}

// redirectsToHTTPS reports whether every rule of the route redirects to
// https: the usual route of a port-80 listener.
func (r *httpRoute) redirectsToHTTPS() bool {
	if len(r.Spec.Rules) == 0 {
		return false
	}
	for _, rule := range r.Spec.Rules {
		redirect := false
		for _, f := range rule.Filters {
			redirect = redirect || (f.Type == "RequestRedirect" && f.RequestRedirect != nil && f.RequestRedirect.Scheme == "https")
		}
		if !redirect {
			return false
		}
	}
	return true
}
