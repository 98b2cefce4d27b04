package network

import "testing"

func TestPodNotSelectedIngress(t *testing.T) {
	runFixtures(t, PodNotSelectedIngress, []fixture{
		{name: "namespace without policies is the namespace check's", yaml: web + api},
		{name: "policy for web only: api escaped", yaml: web + api + policy("web", "  podSelector: {matchLabels: {app: web}}"), want: []string{"Deployment/api metadata.labels"}},
		{name: "namespace default deny covers both", yaml: web + api + denyAll},
		{name: "egress-only policy does not isolate ingress, nor make the namespace governed", yaml: web + api + policy("e", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]")},
		{name: "host network pods are skipped", yaml: web + policy("web", "  podSelector: {matchLabels: {app: web}}") + "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: shop}\nspec: {hostNetwork: true, containers: [{name: c, image: x}]}\n"},
	})
}
