package network

import "testing"

func TestDefaultDenyIngress(t *testing.T) {
	runFixtures(t, DefaultDenyIngress, []fixture{
		{name: "no policy, Namespace object in the scan", yaml: shopNS + web, want: []string{"Namespace/shop metadata.name"}},
		{name: "no policy, no Namespace object: on the first workload", yaml: web + api, want: []string{"Deployment/web metadata.namespace"}},
		{name: "deny all", yaml: shopNS + web + denyAll},
		{name: "ingress-only deny (defaulted policyTypes)", yaml: web + policy("d", "  podSelector: {}")},
		{name: "egress-only deny does not count", yaml: web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]"), want: []string{"Deployment/web metadata.namespace"}},
		{name: "select-all policy that allows everything is no deny", yaml: web + policy("d", "  podSelector: {}\n  ingress: [{}]"), want: []string{"Deployment/web metadata.namespace"}},
		{name: "select-all policy with real rules is a deny plus allows", yaml: web + policy("d", "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]")},
		{name: "policy for one app is no namespace default", yaml: web + policy("d", "  podSelector: {matchLabels: {app: web}}"), want: []string{"Deployment/web metadata.namespace"}},
		{name: "namespace without workloads is not judged", yaml: shopNS},
		{name: "system namespace is not judged", yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: {containers: [{name: c, image: x}]}\n"},
	})
}
