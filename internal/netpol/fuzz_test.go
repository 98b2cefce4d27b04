package netpol

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// FuzzPolicy feeds arbitrary policies to the engine: it must never panic,
// and the matrix and Explain must keep agreeing whatever the input.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{
		`{spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/8, except: [10.1.0.0/16]}}], ports: [{port: http}, {port: 80, endPort: 90}]}]}}`,
		`{spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [a]}]}}]}]}}`,
		`{spec: {podSelector: {}, ingress: [{ports: [{port: 0, protocol: ICMP, endPort: -1}]}], egress: [{to: [{}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	base, err := decodeInput(twoWebs)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var np networkingv1.NetworkPolicy
		if yaml.Unmarshal(data, &np) != nil {
			return
		}
		np.Namespace = "shop"
		in := base
		in.Policies = []*networkingv1.NetworkPolicy{&np}
		checkMatrixMatchesExplain(t, New(in))
	})
}
