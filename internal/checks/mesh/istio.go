// Package mesh holds the checks on service-mesh security: Istio's mutual TLS
// (PeerAuthentication, DestinationRule), its authorization policies, meshed
// namespaces without any policy, and Linkerd's default inbound policy.
//
// The mesh kinds are custom resources: the checks declare them as inputs,
// so the decoder parses their bodies (kept as maps and read here through
// small structs with the fields the checks need) and a cluster scan that
// cannot list them reports the gap.
package mesh

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Istio's kinds, in every version (v1, v1beta1, v1alpha3 share the fields
// read here).
var (
	kindPeerAuthentication  = schema.GroupKind{Group: "security.istio.io", Kind: "PeerAuthentication"}
	kindAuthorizationPolicy = schema.GroupKind{Group: "security.istio.io", Kind: "AuthorizationPolicy"}
	kindDestinationRule     = schema.GroupKind{Group: "networking.istio.io", Kind: "DestinationRule"}
	kindServiceEntry        = schema.GroupKind{Group: "networking.istio.io", Kind: "ServiceEntry"}
)

// rootNamespace is Istio's default meshConfig.rootNamespace: policies there
// without a selector apply to the whole mesh.
const rootNamespace = "istio-system"

// Istio mutual TLS modes.
const (
	modeUnset      = "UNSET"
	modeDisable    = "DISABLE"
	modePermissive = "PERMISSIVE"
	modeStrict     = "STRICT"
)

type workloadSelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

type peerAuthentication struct {
	Spec struct {
		Selector *workloadSelector `json:"selector,omitempty"`
		MTLS     *struct {
			Mode string `json:"mode,omitempty"`
		} `json:"mtls,omitempty"`
		PortLevelMTLS map[string]struct {
			Mode string `json:"mode,omitempty"`
		} `json:"portLevelMtls,omitempty"`
	} `json:"spec"`
}

func (p *peerAuthentication) mode() string {
	if p.Spec.MTLS == nil || p.Spec.MTLS.Mode == "" {
		return modeUnset
	}
	return p.Spec.MTLS.Mode
}

type authorizationPolicy struct {
	Spec struct {
		Selector   *workloadSelector `json:"selector,omitempty"`
		TargetRef  map[string]any    `json:"targetRef,omitempty"`
		TargetRefs []map[string]any  `json:"targetRefs,omitempty"`
		Action     string            `json:"action,omitempty"`
		Rules      []map[string]any  `json:"rules,omitempty"`
	} `json:"spec"`
}

// targeted reports whether the policy applies to some workloads or
// gateways only, not to its whole namespace.
func (a *authorizationPolicy) targeted() bool {
	return (a.Spec.Selector != nil && len(a.Spec.Selector.MatchLabels) > 0) || len(a.Spec.TargetRef) > 0 || len(a.Spec.TargetRefs) > 0
}

type tlsSettings struct {
	Mode string `json:"mode,omitempty"`
}

type trafficPolicy struct {
	TLS               *tlsSettings `json:"tls,omitempty"`
	PortLevelSettings []struct {
		Port *struct {
			Number int64 `json:"number,omitempty"`
		} `json:"port,omitempty"`
		TLS *tlsSettings `json:"tls,omitempty"`
	} `json:"portLevelSettings,omitempty"`
}

type destinationRule struct {
	Spec struct {
		Host          string         `json:"host,omitempty"`
		TrafficPolicy *trafficPolicy `json:"trafficPolicy,omitempty"`
		Subsets       []struct {
			Name          string         `json:"name,omitempty"`
			TrafficPolicy *trafficPolicy `json:"trafficPolicy,omitempty"`
		} `json:"subsets,omitempty"`
	} `json:"spec"`
}

type serviceEntry struct {
	Spec struct {
		Hosts     []string `json:"hosts,omitempty"`
		Endpoints []struct {
			Address string `json:"address,omitempty"`
		} `json:"endpoints,omitempty"`
	} `json:"spec"`
}

// scope says whom a policy without a selector covers.
func scope(o *inventory.Object, selected bool) string {
	switch {
	case selected:
		return "the workloads it selects"
	case o.Namespace == rootNamespace:
		return "the whole mesh (it sits in the root namespace " + rootNamespace + " without a selector)"
	case o.Namespace == "":
		return "its namespace"
	}
	return "namespace " + o.Namespace
}

var references = []check.Reference{
	check.NSA("Network separation and hardening: encryption"),
	check.MITRE("T1557", "Adversary-in-the-Middle"),
}
