package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPolicySelectsNoPods(t *testing.T) {
	// In a file scan these checks stay silent: pods created by operators
	// or at run time are not in manifests.
	checktest.RunFixtures(t, PolicySelectsNoPods, nil, []checktest.Fixture{
		{Name: "file scan: silent", YAML: web + api + policy("p", "  podSelector: {matchLabels: {app: wbe}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]")},
		{Cluster: true, Name: "typo in the label", YAML: web + policy("p", "  podSelector: {matchLabels: {app: wbe}}"), Want: []string{"NetworkPolicy/p spec.podSelector"}},
		{Cluster: true, Name: "matches", YAML: web + policy("p", "  podSelector: {matchLabels: {app: web}}")},
		{Cluster: true, Name: "empty selector matches", YAML: web + denyAll},
		{Cluster: true, Name: "no workloads of that namespace in the scan: not judged", YAML: policy("p", "  podSelector: {matchLabels: {app: wbe}}")},
		{Cluster: true, Name: "workloads only elsewhere: not judged", YAML: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other, labels: {app: wbe}}\nspec: {containers: [{name: c, image: x}]}\n---\n" + policy("p", "  podSelector: {matchLabels: {app: wbe}}")},
	})
}
