package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestEgressCloudMetadata(t *testing.T) {
	egress := func(rule string) string {
		return web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: ["+rule+"]")
	}
	checktest.RunFixtures(t, EgressCloudMetadata, nil, []checktest.Fixture{
		{Name: "0.0.0.0/0", YAML: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}"), Want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock"}},
		{Name: "link-local block on port 80", YAML: egress("{to: [{podSelector: {}}, {ipBlock: {cidr: 169.254.0.0/16}}], ports: [{port: 80}]}"), Want: []string{"NetworkPolicy/p spec.egress[0].to[1].ipBlock"}},
		// A rule without peers restricts nothing: like no egress policy, it is
		// left to the default-deny check.
		{Name: "everything", YAML: egress("{}")},
		{Name: "excepted", YAML: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]}")},
		{Name: "443 only", YAML: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}")},
		{Name: "IPv6 AWS metadata", YAML: egress("{to: [{ipBlock: {cidr: 'fd00::/8'}}]}"), Want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock"}},
		{Name: "pods only", YAML: egress("{to: [{namespaceSelector: {}}]}")},
	})
}
