package network

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
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
}

// TestPolicyInvalidFindings: a field the API server rejects is high and
// quotes the value; a rule policyTypes ignores is medium; both have a
// position.
func TestPolicyInvalidFindings(t *testing.T) {
	fs := checktest.Run(t, web+policy("p", "  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]\n  ingress: [{ports: [{port: 0}]}]"), nil, PolicyInvalid)
	want := []struct {
		path string
		sev  check.Severity
		msg  string
	}{
		{"spec.egress", check.Medium, "egress rules have no effect"},
		{"spec.ingress[0].ports[0].port", check.High, `"0": must be between 1 and 65535`},
	}
	if len(fs) != len(want) {
		t.Fatalf("findings = %+v, want %d", fs, len(want))
	}
	for i, w := range want {
		f := fs[i]
		if f.Path != w.path || f.Severity != w.sev || !strings.HasPrefix(f.Message, w.msg) || f.Position.Line == 0 {
			t.Errorf("finding %d = %s %s %d:%d %q, want %s %s with a position, %q...", i, f.Path, f.Severity, f.Position.Line, f.Position.Column, f.Message, w.path, w.sev, w.msg)
		}
	}
}
