package netpol

import (
	"strings"
	"testing"
)

type conn struct {
	src, dst string
	port     string // PORT/PROTO
	allowed  bool
	// by, when set, is the first rule that must allow (or, for a denied
	// connection, the first port mismatch) as printed by RuleRef.String.
	by string
}

func parseProbe(t *testing.T, s string) (int, Protocol) {
	t.Helper()
	spec, err := ParsePortSpec(s)
	if err != nil || spec.Name != "" || spec.Lo != spec.Hi {
		t.Fatalf("bad probe port %q: %v", s, err)
	}
	return spec.Lo, spec.Protocol
}

const twoWebs = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-a, namespace: shop}
spec:
  selector: {matchLabels: {app: web, v: a}}
  template:
    metadata: {labels: {app: web, v: a}}
    spec:
      containers:
      - name: c
        ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-b, namespace: shop}
spec:
  selector: {matchLabels: {app: web, v: b}}
  template:
    metadata: {labels: {app: web, v: b}}
    spec:
      initContainers:
      - name: sidecar
        restartPolicy: Always
        ports: [{name: metrics, containerPort: 9100}]
      containers:
      - name: c
        ports: [{name: http, containerPort: 9090}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c}]}
status: {podIP: 10.1.0.7}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: elsewhere, labels: {app: client}}
spec: {containers: [{name: c}]}
`

func TestSemantics(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		conns    []conn
		problems []string // expected problem messages, in order
	}{
		{
			name: "named port resolves per destination pod",
			policies: `
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "8080", true, "shop/web spec.ingress[0] (any peer, ports[0])"},
				{"shop/client", "shop/Deployment/web-a", "9090", false, ""},
				{"shop/client", "shop/Deployment/web-b", "9090", true, ""},
				{"shop/client", "shop/Deployment/web-b", "8080", false, ""},
				{"shop/client", "shop/Deployment/web-a", "8080/UDP", false, ""},
			},
		},
		{
			name: "named port needs the same protocol; sidecar init container ports count",
			policies: `
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: dns}, {port: metrics}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "53/UDP", false, ""},
				{"shop/client", "shop/Deployment/web-a", "53", false, ""},
				{"shop/client", "shop/Deployment/web-b", "9100", true, "shop/web spec.ingress[0] (any peer, ports[1])"},
			},
		},
		{
			name: "egress named port resolves against the destination",
			policies: `
kind: NetworkPolicy
metadata: {name: client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{ports: [{port: http}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "8080", true, ""},
				{"shop/client", "shop/Deployment/web-b", "9090", true, ""},
				{"shop/client", "shop/Deployment/web-b", "8080", false, ""},
				{"shop/client", "8.8.8.8", "8080", false, ""},
				{"elsewhere/other", "shop/Deployment/web-b", "1", true, ""},
			},
		},
		{
			name: "endPort range is inclusive",
			policies: `
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 32000, endPort: 32768, protocol: UDP}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "32000/UDP", true, ""},
				{"shop/client", "shop/Deployment/web-a", "32768/UDP", true, ""},
				{"shop/client", "shop/Deployment/web-a", "31999/UDP", false, ""},
				{"shop/client", "shop/Deployment/web-a", "32769/UDP", false, ""},
				{"shop/client", "shop/Deployment/web-a", "32100/TCP", false, ""},
			},
		},
		{
			name: "ipBlock with except as a source; pod IPs count, template pods have none",
			policies: `
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.128.0/17]}}]`,
			conns: []conn{
				{"10.1.2.3", "shop/Deployment/web-a", "80", true, "shop/web spec.ingress[0] (from[0], any port)"},
				{"10.1.200.3", "shop/Deployment/web-a", "80", false, ""},
				{"192.0.2.1", "shop/Deployment/web-a", "80", false, ""},
				{"shop/client", "shop/Deployment/web-a", "80", true, ""}, // 10.1.0.7
				{"10.1.0.7", "shop/Deployment/web-a", "80", true, ""},    // resolves to the pod
				{"elsewhere/other", "shop/Deployment/web-a", "80", false, ""},
				{"shop/Deployment/web-b", "shop/Deployment/web-a", "80", false, ""},
			},
		},
		{
			name: "ipBlock as a destination",
			policies: `
kind: NetworkPolicy
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
    ports: [{port: 443}]`,
			conns: []conn{
				{"shop/Deployment/web-a", "93.184.216.34", "443", true, ""},
				{"shop/Deployment/web-a", "169.254.169.254", "443", false, ""},
				{"shop/Deployment/web-a", "2001:db8::1", "443", false, ""},
				{"shop/Deployment/web-a", "shop/client", "443", true, ""}, // by its IP
				{"shop/Deployment/web-a", "shop/Deployment/web-b", "443", false, ""},
				{"93.184.216.34", "shop/Deployment/web-a", "443", true, ""}, // ingress not isolated
			},
		},
		{
			name: "policies add up",
			policies: `
kind: NetworkPolicy
metadata: {name: from-shop, namespace: shop}
spec:
  podSelector: {matchLabels: {v: a}}
  ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]
---
kind: NetworkPolicy
metadata: {name: from-elsewhere, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: elsewhere}}}], ports: [{port: 443}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "80", true, "shop/from-shop spec.ingress[0] (from[0], ports[0])"},
				{"shop/client", "shop/Deployment/web-a", "443", false, "shop/from-shop spec.ingress[0] (from[0], ports[0])"},
				{"elsewhere/other", "shop/Deployment/web-a", "443", true, "shop/from-elsewhere spec.ingress[0] (from[0], ports[0])"},
				{"elsewhere/other", "shop/Deployment/web-a", "80", false, ""},
				{"shop/client", "shop/Deployment/web-b", "80", false, ""},
			},
		},
		{
			name: "namespace labels: declared ones match, undeclared namespaces have only their name",
			policies: `
kind: NetworkPolicy
metadata: {name: team, namespace: shop}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "80", true, ""},
				{"elsewhere/other", "shop/Deployment/web-a", "80", false, ""},
				{"1.2.3.4", "shop/Deployment/web-a", "80", false, ""},
			},
		},
		{
			name: "podSelector-only peer stays in the policy's namespace; namespaceSelector {} spans all but not IPs",
			policies: `
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {v: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 1}]
  - from: [{namespaceSelector: {}}]
    ports: [{port: 2}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "1", true, ""},
				{"elsewhere/other", "shop/Deployment/web-a", "1", false, ""},
				{"elsewhere/other", "shop/Deployment/web-a", "2", true, "shop/p spec.ingress[1] (from[0], ports[0])"},
				{"1.2.3.4", "shop/Deployment/web-a", "2", false, ""},
			},
		},
		{
			name: "policyTypes Egress only: ingress rules are ignored",
			policies: `
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {v: a}}
  policyTypes: [Egress]
  ingress: [{from: [{podSelector: {matchLabels: {nothing: here}}}]}]
  egress: [{}]`,
			problems: []string{"NetworkPolicy shop/p: spec.ingress: ingress rules have no effect: policyTypes does not list Ingress"},
			conns: []conn{
				{"elsewhere/other", "shop/Deployment/web-a", "80", true, ""},
				{"shop/Deployment/web-a", "1.2.3.4", "5/SCTP", true, "shop/p spec.egress[0] (any peer, any port)"},
			},
		},
		{
			name: "protocol without port allows every port of that protocol only",
			policies: `
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [{protocol: SCTP}]}]`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "7/SCTP", true, ""},
				{"shop/client", "shop/Deployment/web-a", "7", false, ""},
			},
		},
		{
			name: "a policy without a namespace lands in default",
			policies: `
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}}`,
			conns: []conn{
				{"shop/client", "shop/Deployment/web-a", "80", true, ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, twoWebs+"\n---\n"+tt.policies)
			var got []string
			for _, p := range e.Problems() {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.problems, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.problems, "\n"))
			}
			for _, c := range tt.conns {
				port, proto := parseProbe(t, c.port)
				d := e.Explain(mustEndpoint(t, e, c.src), mustEndpoint(t, e, c.dst), port, proto)
				if d.Allowed != c.allowed {
					t.Errorf("%s -> %s %s: allowed = %v, want %v (egress: %s; ingress: %s)", c.src, c.dst, c.port, d.Allowed, c.allowed, d.Egress.Reason(), d.Ingress.Reason())
				}
				if c.by != "" {
					refs := append(append(d.Egress.AllowedBy, d.Ingress.AllowedBy...), append(d.Egress.PortMismatch, d.Ingress.PortMismatch...)...)
					if len(refs) == 0 || refs[0].String() != c.by {
						t.Errorf("%s -> %s %s: deciding rules %v, want first %q", c.src, c.dst, c.port, refs, c.by)
					}
				}
			}
			checkMatrixMatchesExplain(t, e)
		})
	}
}

// checkMatrixMatchesExplain compares the matrix with Explain for every pair
// of endpoints, every protocol and every port that any policy or container
// mentions, plus its neighbours: the two are independent implementations.
func checkMatrixMatchesExplain(t testing.TB, e *Engine) {
	t.Helper()
	m := e.Matrix()
	ports := map[int]bool{MinPort: true, MaxPort: true}
	for _, q := range e.policies {
		for d := range q.rules {
			for _, r := range q.rules[d] {
				for _, pe := range r.ports {
					for _, p := range []int{pe.lo - 1, pe.lo, pe.hi, pe.hi + 1} {
						if p >= MinPort && p <= MaxPort {
							ports[p] = true
						}
					}
				}
			}
		}
	}
	for _, p := range e.pods {
		for _, cp := range p.Ports {
			ports[int(cp.Port)] = true
		}
	}
	var bad []string
	for s := range m.Len() {
		for d := range m.Len() {
			set, ok := m.Allowed(s, d)
			if !ok {
				continue
			}
			for port := range ports {
				for _, proto := range Protocols {
					want := e.Allowed(m.Endpoint(s), m.Endpoint(d), port, proto)
					if got := set.Contains(proto, port); got != want {
						bad = append(bad, m.Name(s)+" -> "+m.Name(d)+" "+PortSpec{Protocol: proto, Lo: port, Hi: port}.String())
					}
				}
			}
		}
	}
	if len(bad) > 0 {
		t.Fatalf("matrix and Explain disagree on %d probes, e.g.\n  %s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n  "))
	}
}
