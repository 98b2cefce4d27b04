package mesh

import (
	"fmt"
	"sort"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PeerAuthenticationNotStrict reports Istio PeerAuthentications that accept
// plaintext: mode PERMISSIVE or DISABLE for the mesh, a namespace, some
// workloads or one port.
//
// Reads: spec.mtls.mode, spec.portLevelMtls[*].mode, spec.selector and the
// namespace of PeerAuthentications (security.istio.io, any version).
// Allows: STRICT, and UNSET (which inherits from the namespace or the
// mesh: mesh-namespace-without-policy judges what is inherited). DISABLE
// is high, PERMISSIVE medium.
var PeerAuthenticationNotStrict = &check.Check{
	Meta: check.Meta{
		ID:       "istio-mtls-not-strict",
		Title:    "Istio PeerAuthentication accepts plaintext traffic",
		Severity: check.Medium,
		Category: check.CategoryMesh,
		Rationale: "With PERMISSIVE, sidecars accept plaintext next to mutual TLS: any pod, meshed or not, can " +
			"call the workloads without an identity, and authorization policies on principals or namespaces " +
			"no longer hold for those calls. DISABLE turns mutual TLS off: traffic is readable and forgeable on the network.",
		Fix:   "Set spec.mtls.mode: STRICT (mesh-wide in the root namespace, then per namespace); keep PERMISSIVE only during a migration, on the ports that need it.",
		Reads: []string{"PeerAuthentication spec.mtls.mode", "PeerAuthentication spec.portLevelMtls", "PeerAuthentication spec.selector"},
		Refs:  references,
	},
	Object: peerAuthenticationNotStrict,
	Kinds:  []schema.GroupKind{kindPeerAuthentication},
}

func init() { check.Register(PeerAuthenticationNotStrict) }

func peerAuthenticationNotStrict(_ *check.Context, o *inventory.Object) []check.Result {
	var pa peerAuthentication
	if o.DecodeRaw(&pa) != nil {
		return nil
	}
	selected := pa.Spec.Selector != nil && len(pa.Spec.Selector.MatchLabels) > 0
	var out []check.Result
	if r, ok := weakMode(pa.mode(), fieldpath.New("spec", "mtls", "mode"), "for "+scope(o, selected)); ok {
		out = append(out, r)
	}
	ports := make([]string, 0, len(pa.Spec.PortLevelMTLS))
	for p := range pa.Spec.PortLevelMTLS {
		ports = append(ports, p)
	}
	sort.Strings(ports)
	for _, p := range ports {
		if r, ok := weakMode(pa.Spec.PortLevelMTLS[p].Mode, fieldpath.New("spec", "portLevelMtls", p, "mode"), "on port "+p+" of "+scope(o, selected)); ok {
			out = append(out, r)
		}
	}
	return out
}

func weakMode(mode string, path *fieldpath.Path, where string) (check.Result, bool) {
	switch mode {
	case modeDisable:
		return check.Result{Path: path, Severity: check.High, Message: "mutual TLS is disabled " + where + ": traffic is plaintext"}, true
	case modePermissive:
		return check.Result{Path: path, Message: fmt.Sprintf("mutual TLS is PERMISSIVE %s: plaintext is accepted next to mutual TLS", where)}, true
	}
	return check.Result{}, false
}
