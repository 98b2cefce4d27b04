package network

import "testing"

func TestPolicySelectsNoPods(t *testing.T) {
	// In a file scan these checks stay silent: pods created by operators
	// or at run time are not in manifests.
	runFixtures(t, PolicySelectsNoPods, []fixture{
		{name: "file scan: silent", yaml: web + api + policy("p", "  podSelector: {matchLabels: {app: wbe}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: wbe}}}]}]")},
	})
	runClusterFixtures(t, PolicySelectsNoPods, []fixture{
		{name: "typo in the label", yaml: web + policy("p", "  podSelector: {matchLabels: {app: wbe}}"), want: []string{"NetworkPolicy/p spec.podSelector"}},
		{name: "matches", yaml: web + policy("p", "  podSelector: {matchLabels: {app: web}}")},
		{name: "empty selector matches", yaml: web + denyAll},
		{name: "no workloads of that namespace in the scan: not judged", yaml: policy("p", "  podSelector: {matchLabels: {app: wbe}}")},
		{name: "workloads only elsewhere: not judged", yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other, labels: {app: wbe}}\nspec: {containers: [{name: c, image: x}]}\n---\n" + policy("p", "  podSelector: {matchLabels: {app: wbe}}")},
	})
}
