package netpol

import (
	"strings"
	"testing"
)

func TestProblems(t *testing.T) {
	tests := []struct {
		name   string
		spec   string
		want   []string // "path|value|rejected" of each problem
		probes []conn   // evaluation after the problem (src/dst from twoWebs)
	}{
		{
			name: "invalid CIDR makes the peer match nothing",
			spec: `ingress: [{from: [{ipBlock: {cidr: 10.0.0/8}}]}]`,
			want: []string{"spec.ingress[0].from[0].ipBlock.cidr|10.0.0/8|true"},
			probes: []conn{
				{"10.0.0.1", "shop/Deployment/web-a", "80", false, ""},
			},
		},
		{
			name: "except outside the block",
			spec: `ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16, 10.0.0.0/8, "::/0"]}}]}]`,
			want: []string{
				"spec.ingress[0].from[0].ipBlock.except[0]|192.168.0.0/16|true",
				"spec.ingress[0].from[0].ipBlock.except[1]|10.0.0.0/8|true",
				"spec.ingress[0].from[0].ipBlock.except[2]|::/0|true",
			},
			probes: []conn{{"10.1.1.1", "shop/Deployment/web-a", "80", false, ""}},
		},
		{
			name: "host bits set: rejected by strict validation, read as the network",
			spec: `ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8}}]}]`,
			want: []string{"spec.ingress[0].from[0].ipBlock.cidr|10.0.0.1/8|true"},
			probes: []conn{
				{"10.9.9.9", "shop/Deployment/web-a", "80", true, ""},
				{"11.0.0.1", "shop/Deployment/web-a", "80", false, ""},
			},
		},
		{
			name:   "leading zeros: read as decimal by the legacy parser",
			spec:   `ingress: [{from: [{ipBlock: {cidr: 010.0.0.0/8}}]}]`,
			want:   []string{"spec.ingress[0].from[0].ipBlock.cidr|010.0.0.0/8|true"},
			probes: []conn{{"10.9.9.9", "shop/Deployment/web-a", "80", true, ""}},
		},
		{
			name: "bad ports",
			spec: `ingress: [{ports: [{port: 0}, {port: 70000}, {port: 90, endPort: 80}, {port: http, endPort: 90}, {endPort: 90}, {port: 100, endPort: 70000}, {port: Not_A_Name}]}]`,
			want: []string{
				"spec.ingress[0].ports[0].port|0|true",
				"spec.ingress[0].ports[1].port|70000|true",
				"spec.ingress[0].ports[2].endPort|80|true",
				"spec.ingress[0].ports[3].endPort|90|true",
				"spec.ingress[0].ports[4].endPort|90|true",
				"spec.ingress[0].ports[5].endPort|70000|true",
				"spec.ingress[0].ports[6].port|Not_A_Name|true",
			},
			probes: []conn{
				{"shop/client", "shop/Deployment/web-a", "85", false, ""},
				{"shop/client", "shop/Deployment/web-a", "8080", false, ""},
				{"shop/client", "shop/Deployment/web-a", "100", false, ""},
			},
		},
		{
			name: "unknown and lower-case protocols",
			spec: `ingress: [{ports: [{port: 80, protocol: ICMP}, {port: 81, protocol: tcp}, {port: 82, protocol: UDP}]}]`,
			want: []string{
				"spec.ingress[0].ports[0].protocol|ICMP|true",
				"spec.ingress[0].ports[1].protocol|tcp|true",
			},
			probes: []conn{
				{"shop/client", "shop/Deployment/web-a", "80", false, ""},
				{"shop/client", "shop/Deployment/web-a", "81", false, ""},
				{"shop/client", "shop/Deployment/web-a", "82/UDP", true, ""},
			},
		},
		{
			name: "bad peers",
			spec: `ingress: [{from: [{}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}, {ipBlock: {cidr: ""}}, {podSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}}]}]`,
			want: []string{
				"spec.ingress[0].from[0]||true",
				"spec.ingress[0].from[1]||true",
				"spec.ingress[0].from[2].ipBlock.cidr||true",
				"spec.ingress[0].from[3].podSelector||true",
			},
			probes: []conn{{"shop/client", "shop/Deployment/web-a", "80", false, ""}},
		},
		{
			name: "bad policyTypes",
			spec: "policyTypes: [Ingress, egress]\n  egress: [{}]",
			want: []string{
				"spec.policyTypes[1]|egress|true",
				"spec.egress||false",
			},
			probes: []conn{{"shop/Deployment/web-a", "shop/client", "80", true, ""}},
		},
		{
			name:   "invalid podSelector selects nothing",
			spec:   `podSelector: {matchLabels: {"bad key!": x}}`,
			want:   []string{"spec.podSelector||true"},
			probes: []conn{{"shop/client", "shop/Deployment/web-a", "80", true, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			if !strings.HasPrefix(spec, "podSelector") {
				spec = "podSelector: {matchLabels: {app: web}}\n  " + spec
			}
			e := mustEngine(t, twoWebs+"\n---\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n  "+spec)
			var got []string
			for _, p := range e.Problems() {
				if p.Policy.String() != "shop/bad" || p.Message == "" {
					t.Errorf("problem without object or message: %+v", p)
				}
				got = append(got, p.Path.String()+"|"+p.Value+"|"+map[bool]string{true: "true", false: "false"}[p.Rejected])
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s\nfull: %v", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), e.Problems())
			}
			for _, c := range tt.probes {
				port, proto := parseProbe(t, c.port)
				if got := e.Allowed(mustEndpoint(t, e, c.src), mustEndpoint(t, e, c.dst), port, proto); got != c.allowed {
					t.Errorf("%s -> %s %s: allowed = %v, want %v", c.src, c.dst, c.port, got, c.allowed)
				}
			}
			checkMatrixMatchesExplain(t, e)
		})
	}
}
