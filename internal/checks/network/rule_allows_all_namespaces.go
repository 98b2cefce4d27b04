package network

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
)

// RuleAllowsAllNamespaces finds peers that match every pod of the cluster:
// namespaceSelector: {} with no podSelector or an empty one.
//
// Reads: NetworkPolicy spec.ingress[*].from[*] and spec.egress[*].to[*].
// Allows: peers that narrow the namespaces or the pods. Rules with no peers
// at all are judged by netpol-rule-allows-any-ip.
var RuleAllowsAllNamespaces = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-rule-allows-all-namespaces",
		Title:    "NetworkPolicy rule allows every pod of every namespace",
		Severity: check.Medium,
		Category: check.CategoryNetwork,
		Rationale: "namespaceSelector: {} matches all namespaces, present and future, so any workload anyone deploys " +
			"can use the rule; it is rarely what \"allow my other services\" meant.",
		Fix: "Name the namespaces (namespaceSelector matchLabels kubernetes.io/metadata.name: NAME) and the pods " +
			"(podSelector) that need the connection.",
		Reads: []string{"NetworkPolicy spec.ingress[*].from[*].namespaceSelector", "NetworkPolicy spec.egress[*].to[*].namespaceSelector"},
		Refs:  references,
	},
	Needs:          needs,
	Inventory:      ruleAllowsAllNamespaces,
	NamespaceLocal: true,
}

func init() { check.Register(RuleAllowsAllNamespaces) }

func ruleAllowsAllNamespaces(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for i, info := range a.infos {
		for d, rules := range info.Rules {
			if !info.Affects[d] {
				continue
			}
			for _, r := range rules {
				for _, p := range r.Peers {
					if !p.AllNamespaces {
						continue
					}
					res := check.Result{Object: a.Policies[i], Path: p.Path.Child("namespaceSelector"), Message: fmt.Sprintf(
						"%s rule %d allows %s every pod of every namespace", netpol.Direction(d), r.Ref.Rule, map[bool]string{true: "connections to", false: "connections from"}[d == int(netpol.Egress)])}
					if d == int(netpol.Egress) {
						res.Severity = check.Low
					}
					out = append(out, res)
				}
			}
		}
	}
	return out
}
