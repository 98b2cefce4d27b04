package network

import (
	"os"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestDefaultDenyHostNetworkNamespace is the false positive found on the
// corpus: tigera-operator's only pods use hostNetwork: true, which no
// NetworkPolicy governs, so a default-deny policy there would change
// nothing and neither namespace check may ask for one.
func TestDefaultDenyHostNetworkNamespace(t *testing.T) {
	yaml, err := os.ReadFile("testdata/tigera-operator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*check.Check{DefaultDenyIngress, DefaultDenyEgress} {
		t.Run(c.ID, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, string(yaml), nil, c))
			// A governed workload beside it is judged, and the message says
			// the host-network one is left out.
			mixed := string(yaml) + "\n---\n" + strings.ReplaceAll(web, "namespace: shop", "namespace: tigera-operator")
			fs := checktest.Run(t, mixed, nil, c)
			checktest.Expect(t, fs, "Namespace/tigera-operator metadata.name")
			if len(fs) == 1 && !strings.Contains(fs[0].Message, "1 of its 2 workloads use hostNetwork") {
				t.Errorf("message %q does not say the host-network workload is left out", fs[0].Message)
			}
		})
	}
}

func TestDefaultDenyHostNetworkFallsBackToGovernedWorkload(t *testing.T) {
	hostAgent := strings.NewReplacer("name: web", "name: agent", "app: web", "app: agent", "spec: {containers", "spec: {hostNetwork: true, containers").Replace(web)
	fs := checktest.Run(t, hostAgent+api, nil, DefaultDenyIngress)
	checktest.Expect(t, fs, "Deployment/api metadata.namespace")
	checktest.Expect(t, checktest.Run(t, hostAgent, nil, DefaultDenyIngress))
}
