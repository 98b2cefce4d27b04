package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDefaultDenyEgress(t *testing.T) {
	checktest.RunFixtures(t, DefaultDenyEgress, nil, []checktest.Fixture{
		{Name: "no policy", YAML: shopNS + web, Want: []string{"Namespace/shop metadata.name"}},
		{Name: "deny all", YAML: shopNS + web + denyAll},
		{Name: "defaulted policyTypes without egress rules is ingress only", YAML: shopNS + web + policy("d", "  podSelector: {}"), Want: []string{"Namespace/shop metadata.name"}},
		{Name: "egress deny with DNS allowed", YAML: shopNS + web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{port: 53, protocol: UDP}]}]")},
		{Name: "egress: [{}] opens everything", YAML: shopNS + web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{}]"), Want: []string{"Namespace/shop metadata.name"}},
	})
}
