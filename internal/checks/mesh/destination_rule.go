package mesh

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DestinationRuleTLSDisabled reports Istio DestinationRules that make
// clients send plaintext: tls.mode DISABLE in the traffic policy, a port's
// settings or a subset's.
//
// Reads: spec.host, spec.trafficPolicy.tls.mode,
// spec.trafficPolicy.portLevelSettings[*].tls.mode,
// spec.subsets[*].trafficPolicy (the same fields) of DestinationRules
// (networking.istio.io, any version).
// Allows: SIMPLE, MUTUAL, ISTIO_MUTUAL and no tls at all (Istio then uses
// mutual TLS automatically where the server accepts it); hosts that a
// ServiceEntry of the scan resolves to Unix sockets only (spec.endpoints
// address unix://...), where no network carries the traffic.
var DestinationRuleTLSDisabled = &check.Check{
	Meta: check.Meta{
		ID:       "istio-destination-rule-tls-disabled",
		Title:    "Istio DestinationRule sends plaintext",
		Severity: check.Medium,
		Category: check.CategoryMesh,
		Rationale: "tls.mode: DISABLE makes the client sidecars talk plaintext to the host, overriding automatic " +
			"mutual TLS: requests and their credentials cross the network readable, and a STRICT server refuses them, " +
			"which tempts teams to loosen the server too.",
		Fix:   "Remove the tls block (automatic mutual TLS) or set tls.mode: ISTIO_MUTUAL; for hosts outside the mesh use SIMPLE or MUTUAL.",
		Reads: []string{"DestinationRule spec.trafficPolicy.tls.mode", "DestinationRule spec.trafficPolicy.portLevelSettings", "DestinationRule spec.subsets[*].trafficPolicy"},
		Refs:  references,
	},
	Inventory: destinationRulesTLSDisabled,
	Needs:     []schema.GroupKind{kindDestinationRule, kindServiceEntry},
}

func init() { check.Register(DestinationRuleTLSDisabled) }

func destinationRulesTLSDisabled(_ *check.Context, inv *inventory.Inventory) []check.Result {
	local := unixSocketHosts(inv)
	var out []check.Result
	for _, o := range inv.ByKind(kindDestinationRule) {
		out = append(out, destinationRuleTLSDisabled(o, local)...)
	}
	return out
}

// unixSocketHosts are the hosts of ServiceEntries whose every endpoint is a
// Unix domain socket.
func unixSocketHosts(inv *inventory.Inventory) map[string]bool {
	out := map[string]bool{}
	for _, o := range inv.ByKind(kindServiceEntry) {
		var se serviceEntry
		if o.DecodeRaw(&se) != nil || len(se.Spec.Endpoints) == 0 {
			continue
		}
		local := true
		for _, e := range se.Spec.Endpoints {
			local = local && strings.HasPrefix(e.Address, "unix://")
		}
		for _, h := range se.Spec.Hosts {
			out[h] = out[h] || local
		}
	}
	return out
}

func destinationRuleTLSDisabled(o *inventory.Object, local map[string]bool) []check.Result {
	var dr destinationRule
	if o.DecodeRaw(&dr) != nil || local[dr.Spec.Host] {
		return nil
	}
	host := dr.Spec.Host
	var out []check.Result
	disabled := func(tp *trafficPolicy, at *fieldpath.Path, who string) {
		if tp == nil {
			return
		}
		if tp.TLS != nil && tp.TLS.Mode == modeDisable {
			out = append(out, check.Result{Object: o, Path: at.Child("tls", "mode"), Message: fmt.Sprintf("clients send plaintext to %s%s", host, who)})
		}
		for i, pl := range tp.PortLevelSettings {
			if pl.TLS != nil && pl.TLS.Mode == modeDisable {
				port := ""
				if pl.Port != nil {
					port = fmt.Sprintf(" port %d", pl.Port.Number)
				}
				out = append(out, check.Result{Object: o, Path: at.Child("portLevelSettings").Index(i).Child("tls", "mode"),
					Message: fmt.Sprintf("clients send plaintext to %s%s%s", host, port, who)})
			}
		}
	}
	disabled(dr.Spec.TrafficPolicy, fieldpath.New("spec", "trafficPolicy"), "")
	for i, s := range dr.Spec.Subsets {
		disabled(s.TrafficPolicy, fieldpath.New("spec", "subsets").Index(i).Child("trafficPolicy"), " (subset "+s.Name+")")
	}
	return out
}
