package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRuleShadowed(t *testing.T) {
	checktest.RunFixtures(t, RuleShadowed, nil, []checktest.Fixture{
		{Name: "narrow rule next to an allow-all-from-namespace", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {}}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 8080}]"), Want: []string{"NetworkPolicy/p spec.ingress[1]"}},
		{Name: "disjoint rules", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 80}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 81}]")},
		{Name: "shadowed across policies", YAML: web + api + policy("wide", "  podSelector: {}\n  ingress: [{}]") + policy("narrow", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{port: 80}]}]"), Want: []string{"NetworkPolicy/narrow spec.ingress[0]"}},
	})
}
