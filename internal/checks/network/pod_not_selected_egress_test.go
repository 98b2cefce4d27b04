package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPodNotSelectedEgress(t *testing.T) {
	checktest.RunFixtures(t, PodNotSelectedEgress, nil, []checktest.Fixture{
		{Name: "egress policy for web only: api escaped", YAML: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]"), Want: []string{"Deployment/api metadata.labels"}},
		{Name: "egress rules make defaulted policyTypes include Egress", YAML: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}\n  egress: [{ports: [{port: 53}]}]"), Want: []string{"Deployment/api metadata.labels"}},
		{Name: "ingress-only policies do not govern egress", YAML: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}")},
		{Name: "deny all", YAML: web + api + denyAll},
	})
}
