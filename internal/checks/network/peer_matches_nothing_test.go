package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPeerMatchesNothing(t *testing.T) {
	// In a file scan these checks stay silent: pods created by operators
	// or at run time are not in manifests.
	checktest.RunFixtures(t, PeerMatchesNothing, nil, []checktest.Fixture{
		{Name: "file scan: silent", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: wbe}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]")},
		{Cluster: true, Name: "podSelector typo in a namespace the scan holds", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]"), Want: []string{"NetworkPolicy/p spec.ingress[0].from[0]"}},
		{Cluster: true, Name: "matching peer", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: api}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]")},
		{Cluster: true, Name: "namespace outside the scan: not judged", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels: {app: prometheus}}}]}]")},
		{Cluster: true, Name: "namespace labels the scan does not show: not judged", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: x}}}]}]")},
		{Cluster: true, Name: "namespace in the scan, pod typo", YAML: shopNS + web + policy("p", "  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: shop}}, podSelector: {matchLabels: {app: wbe}}}]}]"), Want: []string{"NetworkPolicy/p spec.ingress[0].from[0]"}},
		{Cluster: true, Name: "ipBlock peers are never nothing", YAML: web + policy("p", "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]")},
	})
}
