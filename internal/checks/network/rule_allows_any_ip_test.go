package network

import "testing"

func TestRuleAllowsAnyIP(t *testing.T) {
	runFixtures(t, RuleAllowsAnyIP, []fixture{
		{name: "0.0.0.0/0 ingress", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]"), want: []string{"NetworkPolicy/p spec.ingress[0].from[0].ipBlock.cidr"}},
		{name: "::/0 egress with except", yaml: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: '::/0', except: ['fd00::/8']}}], ports: [{port: 443}]}]"), want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock.cidr"}},
		{name: "rule with neither peers nor ports", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{}]"), want: []string{"NetworkPolicy/p spec.ingress[0]"}},
		{name: "rule without peers but with ports (DNS anywhere)", yaml: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: 53, protocol: UDP}]}]")},
		{name: "narrow block", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]")},
	})
}
