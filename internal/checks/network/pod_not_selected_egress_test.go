package network

import "testing"

func TestPodNotSelectedEgress(t *testing.T) {
	runFixtures(t, PodNotSelectedEgress, []fixture{
		{name: "egress policy for web only: api escaped", yaml: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]"), want: []string{"Deployment/api metadata.labels"}},
		{name: "egress rules make defaulted policyTypes include Egress", yaml: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}\n  egress: [{ports: [{port: 53}]}]"), want: []string{"Deployment/api metadata.labels"}},
		{name: "ingress-only policies do not govern egress", yaml: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}")},
		{name: "deny all", yaml: web + api + denyAll},
	})
}
