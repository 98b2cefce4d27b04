package network

import "testing"

func TestEgressCloudMetadata(t *testing.T) {
	egress := func(rule string) string {
		return web + policy("p", "  podSelector: {}\n  policyTypes: [Egress]\n  egress: ["+rule+"]")
	}
	runFixtures(t, EgressCloudMetadata, []fixture{
		{name: "0.0.0.0/0", yaml: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}"), want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock"}},
		{name: "link-local block on port 80", yaml: egress("{to: [{podSelector: {}}, {ipBlock: {cidr: 169.254.0.0/16}}], ports: [{port: 80}]}"), want: []string{"NetworkPolicy/p spec.egress[0].to[1].ipBlock"}},
		// A rule without peers restricts nothing: like no egress policy, it is
		// left to the default-deny check.
		{name: "everything", yaml: egress("{}")},
		{name: "excepted", yaml: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]}")},
		{name: "443 only", yaml: egress("{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}")},
		{name: "IPv6 AWS metadata", yaml: egress("{to: [{ipBlock: {cidr: 'fd00::/8'}}]}"), want: []string{"NetworkPolicy/p spec.egress[0].to[0].ipBlock"}},
		{name: "pods only", yaml: egress("{to: [{namespaceSelector: {}}]}")},
	})
}
