package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRuleAllowsAnyIP(t *testing.T) {
	checktest.RunFixtures(t, RuleAllowsAnyIP, nil, []checktest.Fixture{
		{Name: "0.0.0.0/0 ingress", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]"), Want: []string{"NetworkPolicy/p spec.ingress[0].from[0].ipBlock.cidr"}},
		{Name: "::/0 egress with except", YAML: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: '::/0', except: ['fd00::/8']}}], ports: [{port: 443}]}]"), Want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock.cidr"}},
		{Name: "rule with neither peers nor ports", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{}]"), Want: []string{"NetworkPolicy/p spec.ingress[0]"}},
		{Name: "rule without peers but with ports (DNS anywhere)", YAML: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: 53, protocol: UDP}]}]")},
		{Name: "narrow block", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]")},
	})
}
