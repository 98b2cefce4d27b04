package network

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPolicyInvalid(t *testing.T) {
	checktest.RunFixtures(t, PolicyInvalid, nil, []checktest.Fixture{
		{Name: "bad CIDR, except and ports", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0/8}}, {ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}], ports: [{port: 90, endPort: 80}, {port: http, endPort: 90}, {port: 80, protocol: ICMP}]}]"), Want: []string{
			"NetworkPolicy/p spec.ingress[0].from[0].ipBlock.cidr",
			"NetworkPolicy/p spec.ingress[0].from[1].ipBlock.except[0]",
			"NetworkPolicy/p spec.ingress[0].ports[0].endPort",
			"NetworkPolicy/p spec.ingress[0].ports[1].endPort",
			"NetworkPolicy/p spec.ingress[0].ports[2].protocol",
		}},
		{Name: "rules of a direction policyTypes leaves out", YAML: web + policy("p", "  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]"), Want: []string{"NetworkPolicy/p spec.egress"}},
		{Name: "valid", YAML: web + denyAll},
	})
	fs := checktest.Run(t, web+policy("p", "  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]\n  ingress: [{ports: [{port: 0}]}]"), nil, PolicyInvalid)
	if len(fs) != 2 || fs[0].Severity.String() != "medium" && fs[1].Severity.String() != "medium" || !strings.Contains(fs[0].Message+fs[1].Message, "\"0\"") || fs[0].Position.Line == 0 {
		t.Errorf("severities, messages or positions wrong: %+v", fs)
	}
}
