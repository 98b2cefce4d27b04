package network

import "testing"

func TestRuleShadowed(t *testing.T) {
	runFixtures(t, RuleShadowed, []fixture{
		{name: "narrow rule next to an allow-all-from-namespace", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {}}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 8080}]"), want: []string{"NetworkPolicy/p spec.ingress[1]"}},
		{name: "disjoint rules", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 80}]\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: 81}]")},
		{name: "shadowed across policies", yaml: web + api + policy("wide", "  podSelector: {}\n  ingress: [{}]") + policy("narrow", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{port: 80}]}]"), want: []string{"NetworkPolicy/narrow spec.ingress[0]"}},
	})
}
