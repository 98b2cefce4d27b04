package network

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDefaultDenyIngress(t *testing.T) {
	checktest.RunFixtures(t, DefaultDenyIngress, nil, []checktest.Fixture{
		{Name: "no policy, Namespace object in the scan", YAML: shopNS + web, Want: []string{"Namespace/shop metadata.name"}},
		{Name: "no policy, no Namespace object: on the first workload", YAML: web + api, Want: []string{"Deployment/web metadata.namespace"}},
		{Name: "deny all", YAML: shopNS + web + denyAll},
		{Name: "ingress-only deny (defaulted policyTypes)", YAML: web + policy("d", "  podSelector: {}")},
		{Name: "egress-only deny does not count", YAML: web + policy("d", "  podSelector: {}\n  policyTypes: [Egress]"), Want: []string{"Deployment/web metadata.namespace"}},
		{Name: "select-all policy that allows everything is no deny", YAML: web + policy("d", "  podSelector: {}\n  ingress: [{}]"), Want: []string{"Deployment/web metadata.namespace"}},
		{Name: "select-all policy with real rules is a deny plus allows", YAML: web + policy("d", "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]")},
		{Name: "policy for one app is no namespace default", YAML: web + policy("d", "  podSelector: {matchLabels: {app: web}}"), Want: []string{"Deployment/web metadata.namespace"}},
		{Name: "namespace without workloads is not judged", YAML: shopNS},
		{Name: "system namespace is not judged", YAML: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: {containers: [{name: c, image: x}]}\n"},
	})
}
