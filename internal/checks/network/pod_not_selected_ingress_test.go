package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPodNotSelectedIngress(t *testing.T) {
	checktest.RunFixtures(t, PodNotSelectedIngress, nil, []checktest.Fixture{
		{Name: "namespace without policies is the namespace check's", YAML: web + api},
		{Name: "policy for web only: api escaped", YAML: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}"), Want: []string{"Deployment/api metadata.labels"}},
		{Name: "namespace default deny covers both", YAML: web + api + denyAll},
		{Name: "egress-only policy does not isolate ingress, nor make the namespace governed", YAML: web + api + policy("e", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]")},
		{Name: "host network pods are skipped", YAML: web + policy("web", "  podSelector: {matchLabels: {app: web}}") + "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: shop}\nspec: {hostNetwork: true, containers: [{name: c, image: x}]}\n"},
	})
}
