package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestHostAliases(t *testing.T) {
	checktest.RunFixtures(t, HostAliases, nil, []checktest.Fixture{{
		Name: "no hostAliases passes",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostAliases: []
  containers: [{name: a, image: x}]`,
	}, {
		Name: "each alias fails",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      hostAliases:
      - {ip: 10.0.0.1, hostnames: [api.example.com]}
      - {ip: 10.0.0.2, hostnames: [a, b]}
      containers: [{name: a, image: x}]`,
		Want: []string{"Deployment/d spec.template.spec.hostAliases[0]", "Deployment/d spec.template.spec.hostAliases[1]"},
	}})
}
