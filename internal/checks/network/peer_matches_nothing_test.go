package network

import "testing"

func TestPeerMatchesNothing(t *testing.T) {
	// In a file scan these checks stay silent: pods created by operators
	// or at run time are not in manifests.
	runFixtures(t, PeerMatchesNothing, []fixture{
		{name: "file scan: silent", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: wbe}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]")},
	})
	runClusterFixtures(t, PeerMatchesNothing, []fixture{
		{name: "podSelector typo in a namespace the scan holds", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]"), want: []string{"NetworkPolicy/p spec.ingress[0].from[0]"}},
		{name: "matching peer", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]")},
		{name: "namespace outside the scan: not judged", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels: {app: prometheus}}}]}]")},
		{name: "namespace labels the scan does not show: not judged", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]")},
		{name: "namespace in the scan, pod typo", yaml: shopNS + web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: shop}}, podSelector: {matchLabels: {app: wbe}}}]}]"), want: []string{"NetworkPolicy/p spec.ingress[0].from[0]"}},
		{name: "ipBlock peers are never nothing", yaml: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]")},
	})
}
