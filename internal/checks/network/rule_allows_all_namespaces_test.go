package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRuleAllowsAllNamespaces(t *testing.T) {
	checktest.RunFixtures(t, RuleAllowsAllNamespaces, nil, []checktest.Fixture{
		{Name: "namespaceSelector {}", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}]}]"), Want: []string{"NetworkPolicy/p spec.ingress[0].from[0].namespaceSelector"}},
		{Name: "with an empty podSelector too", YAML: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {}}, {namespaceSelector: {}, podSelector: {}}]}]"), Want: []string{"NetworkPolicy/p spec.egress[0].to[1].namespaceSelector"}},
		{Name: "narrowed by pods", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]}]")},
		{Name: "named namespace", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}]")},
		{Name: "podSelector {} alone is the policy's namespace only", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]")},
		{Name: "ignored direction is not reported", YAML: web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{from: [{namespaceSelector: {}}]}]")},
	})
}
