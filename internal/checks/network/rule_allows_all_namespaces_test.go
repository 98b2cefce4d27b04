package network

import "testing"

func TestRuleAllowsAllNamespaces(t *testing.T) {
	runFixtures(t, RuleAllowsAllNamespaces, []fixture{
		{name: "namespaceSelector {}", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}]}]"), want: []string{"NetworkPolicy/p spec.ingress[0].from[0].namespaceSelector"}},
		{name: "with an empty podSelector too", yaml: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {}}, {namespaceSelector: {}, podSelector: {}}]}]"), want: []string{"NetworkPolicy/p spec.egress[0].to[1].namespaceSelector"}},
		{name: "narrowed by pods", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]}]")},
		{name: "named namespace", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]")},
		{name: "podSelector {} alone is the policy's namespace only", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]")},
		{name: "ignored direction is not reported", yaml: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{from: [{namespaceSelector: {}}]}]")},
	})
}
