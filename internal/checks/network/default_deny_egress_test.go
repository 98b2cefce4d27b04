package network

import "testing"

func TestDefaultDenyEgress(t *testing.T) {
	runFixtures(t, DefaultDenyEgress, []fixture{
		{name: "no policy", yaml: shopNS + web, want: []string{"Namespace/shop metadata.name"}},
		{name: "deny all", yaml: shopNS + web + denyAll},
		{name: "defaulted policyTypes without egress rules is ingress only", yaml: shopNS + web + policy("d", "  podSelector: {}"), want: []string{"Namespace/shop metadata.name"}},
		{name: "egress deny with DNS allowed", yaml: shopNS + web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{port: 53, protocol: UDP}]}]")},
		{name: "egress: [{}] opens everything", yaml: shopNS + web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]"), want: []string{"Namespace/shop metadata.name"}},
	})
}
