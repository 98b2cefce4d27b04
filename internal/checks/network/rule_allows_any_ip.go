package network

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
)

// RuleAllowsAnyIP finds rules open to the whole address space: an ipBlock
// of 0.0.0.0/0 or ::/0, or a rule with neither peers nor ports.
//
// Reads: NetworkPolicy spec.ingress[*] and spec.egress[*]. Allows: ipBlocks
// narrower than /0, and rules without peers that name their ports (such as
// DNS egress on 53, or a public web port), which are common and deliberate.
// Egress findings are low: workloads that call external APIs need it.
var RuleAllowsAnyIP = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-rule-allows-any-ip",
		Title:    "NetworkPolicy rule allows any IP address",
		Severity: check.Medium,
		Category: check.CategoryNetwork,
		Rationale: "0.0.0.0/0 includes the pod and node networks, the cloud metadata address and the internet; a rule " +
			"with neither peers nor ports removes the restriction the policy was written for.",
		Fix: "Name the address ranges that are needed, and add the pod CIDR, node CIDR and 169.254.169.254/32 to except " +
			"when the internet is what is needed; give every rule its ports.",
		Reads: []string{"NetworkPolicy spec.ingress[*].from[*].ipBlock", "NetworkPolicy spec.egress[*].to[*].ipBlock", "NetworkPolicy spec.ingress[*].ports", "NetworkPolicy spec.egress[*].ports"},
		Refs:  references,
	},
	Needs:          needs,
	Inventory:      ruleAllowsAnyIP,
	NamespaceLocal: true,
}

func init() { check.Register(RuleAllowsAnyIP) }

func ruleAllowsAnyIP(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for i, info := range a.infos {
		for d, rules := range info.Rules {
			if !info.Affects[d] {
				continue
			}
			sev := check.SeverityUnknown
			if d == int(netpol.Egress) {
				sev = check.Low
			}
			for _, r := range rules {
				if r.AllPeers && r.AllPorts {
					out = append(out, check.Result{Object: a.Policies[i], Path: fieldpath.Parse(r.Ref.Path), Severity: sev, Message: fmt.Sprintf(
						"%s rule %d has neither peers nor ports: it allows all %s traffic of the selected pods", netpol.Direction(d), r.Ref.Rule, netpol.Direction(d))})
					continue
				}
				for _, p := range r.Peers {
					if !p.IsIP || p.CIDR.Bits() != 0 {
						continue
					}
					msg := fmt.Sprintf("%s rule %d allows %s", netpol.Direction(d), r.Ref.Rule, p.CIDR)
					if len(p.Except) > 0 {
						ex := make([]string, len(p.Except))
						for k, e := range p.Except {
							ex[k] = e.String()
						}
						msg += " except " + strings.Join(ex, ", ")
					} else {
						msg += ", every address including the cluster's own networks"
					}
					out = append(out, check.Result{Object: a.Policies[i], Path: p.Path.Child("ipBlock", "cidr"), Severity: sev, Message: msg})
				}
			}
		}
	}
	return out
}
