package network

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// PolicyInvalid reports fields of a NetworkPolicy that the API server
// rejects (invalid CIDR, except outside its cidr, port out of range, endPort
// below port or with a named port, unknown protocol, empty peer, bad
// selector) or that have no effect (rules of a direction missing from
// policyTypes).
//
// Reads: every field of NetworkPolicy spec. Allows: what the API server's
// validation (Kubernetes 1.37, strict CIDR validation on) accepts.
var PolicyInvalid = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-policy-invalid",
		Title:    "NetworkPolicy has an invalid or ineffective field",
		Severity: check.High,
		Category: check.CategoryNetwork,
		Rationale: "The API server rejects an invalid policy, so the protection it describes never exists; " +
			"rules that policyTypes leaves out are silently ignored.",
		Fix:   "Correct the field as the message says; list every direction that has rules in policyTypes.",
		Reads: []string{"NetworkPolicy spec"},
		Refs:  references,
	},
	Needs:          needs,
	Inventory:      policyInvalid,
	NamespaceLocal: true,
}

func init() { check.Register(PolicyInvalid) }

func policyInvalid(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for _, p := range a.eng.Problems() {
		msg := p.Message
		if p.Value != "" {
			msg = "\"" + p.Value + "\": " + msg
		}
		res := check.Result{Object: a.Policies[p.Policy.Index], Path: p.Path, Message: msg}
		if !p.Rejected {
			res.Severity = check.Medium
		}
		out = append(out, res)
	}
	return out
}
