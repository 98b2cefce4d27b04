package netpol

import (
	"net/netip"
	"strings"
	"testing"
)

func TestShadowedRules(t *testing.T) {
	tests := []struct {
		name     string
		policies string
		want     []string // "rule <- by; by"
	}{
		{
			name: "narrow rule under a broad one in another policy",
			policies: `
kind: NetworkPolicy
metadata: {name: broad, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}]
---
kind: NetworkPolicy
metadata: {name: narrow, namespace: shop}
spec:
  podSelector: {matchLabels: {v: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 8080}]}, {from: [{namespaceSelector: {}}], ports: [{port: 9}]}]`,
			want: []string{"shop/narrow spec.ingress[0] <- shop/broad spec.ingress[0]"},
		},
		{
			name: "exact duplicates: only the later is reported",
			policies: `
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ports: [{port: 53, protocol: UDP}]}, {ports: [{port: 53, protocol: UDP}]}]`,
			want: []string{"shop/p spec.egress[1] <- shop/p spec.egress[0]"},
		},
		{
			name: "union of two rules covers a third",
			policies: `
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: 1, endPort: 100}]
  - ports: [{port: 101, endPort: 200}]
  - ports: [{port: 50, endPort: 150}]`,
			want: []string{"shop/p spec.ingress[2] <- shop/p spec.ingress[0]; shop/p spec.ingress[1]"},
		},
		{
			name: "covered for one selected pod but not another: not shadowed",
			policies: `
kind: NetworkPolicy
metadata: {name: wide, namespace: shop}
spec:
  podSelector: {matchLabels: {v: a}}
  ingress: [{}]
---
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]`,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, twoWebs+"\n---\n"+tt.policies)
			var got []string
			for _, s := range e.ShadowedRules() {
				var by []string
				for _, b := range s.By {
					by = append(by, b.Policy.String()+" "+b.Path)
				}
				got = append(got, s.Rule.Policy.String()+" "+s.Rule.Path+" <- "+strings.Join(by, "; "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("shadowed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestPropertyShadowedRuleRemovable: removing a reported rule changes no
// connection, on random inputs.
func TestPropertyShadowedRuleRemovable(t *testing.T) {
	found := 0
	forRandomInputs(t, 4, func(t *testing.T, _ gen, in Input) {
		e := New(in)
		for _, s := range e.ShadowedRules() {
			found++
			cut := in
			cut.Policies = append(cut.Policies[:0:0], in.Policies...)
			np := cut.Policies[s.Rule.Policy.Index].DeepCopy()
			if s.Rule.Direction == Ingress {
				np.Spec.Ingress = append(np.Spec.Ingress[:s.Rule.Rule:s.Rule.Rule], np.Spec.Ingress[s.Rule.Rule+1:]...)
			} else {
				np.Spec.Egress = append(np.Spec.Egress[:s.Rule.Rule:s.Rule.Rule], np.Spec.Egress[s.Rule.Rule+1:]...)
			}
			if len(np.Spec.PolicyTypes) == 0 && s.Rule.Direction == Egress && len(np.Spec.Egress) == 0 {
				continue // removing the last egress rule changes the defaulted policyTypes
			}
			cut.Policies[s.Rule.Policy.Index] = np
			ce := New(cut)
			for _, a := range probeEndpoints(e, ce) {
				for _, b := range probeEndpoints(e, ce) {
					if (a.IsPod() || b.IsPod()) && !e.AllowedPorts(a, b).Equal(ce.AllowedPorts(a, b)) {
						t.Fatalf("removing shadowed %s %s changed %s -> %s: %s -> %s", s.Rule.Policy, s.Rule.Path, e.Name(a), e.Name(b), e.AllowedPorts(a, b), ce.AllowedPorts(a, b))
					}
				}
			}
		}
	})
	if found == 0 {
		t.Fatal("the generator produced no shadowed rule: the property was not exercised")
	}
}

func TestPolicyInfoAndRuleAllowsIP(t *testing.T) {
	e := mustEngine(t, twoWebs+`
---
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{namespaceSelector: {}}, {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}, podSelector: {matchLabels: {app: web}}}]}]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 80}]}, {}]`)
	pi, ok := e.PolicyInfo(len(e.policies) - 1 + 0)
	if !ok {
		t.Fatal("no policy info")
	}
	if !pi.SelectsAll || !pi.Affects[Egress] || !pi.AllowsAll[Egress] || pi.AllowsAll[Ingress] {
		t.Errorf("policy info %+v", pi)
	}
	peers := pi.Rules[Ingress][0].Peers
	if !peers[0].AllNamespaces || peers[1].AllNamespaces || !peers[1].NameOnly || len(peers[1].Pods) != 2 {
		t.Errorf("peers %+v", peers)
	}
	if _, ok := e.RuleAllowsIP(pi.Ref.Index, Egress, 0, netip.MustParseAddr("169.254.169.254"), 80, TCP); !ok {
		t.Error("rule 0 should allow the metadata address on 80")
	}
	if _, ok := e.RuleAllowsIP(pi.Ref.Index, Egress, 0, netip.MustParseAddr("10.1.1.1"), 80, TCP); ok {
		t.Error("rule 0 excepts 10.0.0.0/8")
	}
	if peer, ok := e.RuleAllowsIP(pi.Ref.Index, Egress, 1, netip.MustParseAddr("10.1.1.1"), 5, UDP); !ok || peer != -1 {
		t.Errorf("rule 1 allows everything: %d %v", peer, ok)
	}
}

// TestEndpointAt: an address names the first pod that holds it (pods of
// the host network share their node's), an IPv4-mapped address its IPv4
// pod, and an unknown address itself.
func TestEndpointAt(t *testing.T) {
	a := netip.MustParseAddr("10.0.0.5")
	e := New(Input{Pods: []Pod{
		{Namespace: "x", Kind: "Pod", Name: "none"},
		{Namespace: "x", Kind: "Pod", Name: "first", IPs: []netip.Addr{netip.MustParseAddr("10.0.0.4"), a}},
		{Namespace: "x", Kind: "Pod", Name: "second", IPs: []netip.Addr{a}},
	}})
	if got := e.EndpointAt(a); got.Pod != 1 {
		t.Errorf("10.0.0.5: %+v, want pod 1", got)
	}
	if got := e.EndpointAt(netip.MustParseAddr("::ffff:10.0.0.5")); got.Pod != 1 {
		t.Errorf("::ffff:10.0.0.5: %+v, want pod 1", got)
	}
	out := netip.MustParseAddr("10.0.0.6")
	if got := e.EndpointAt(out); got.IsPod() || got.IP != out {
		t.Errorf("10.0.0.6: %+v, want the address", got)
	}
	if got, err := e.ResolveEndpoint("10.0.0.5"); err != nil || got.Pod != 1 {
		t.Errorf("ResolveEndpoint: %+v %v", got, err)
	}
}
