package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPrivilegedPort(t *testing.T) {
	checktest.RunFixtures(t, PrivilegedPort, nil, []checktest.Fixture{{
		Name: "high ports pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x, ports: [{containerPort: 1024}, {containerPort: 8080, hostPort: 80}]}]`,
	}, {
		Name: "ports below 1024 fail, each",
		YAML: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec:
  template:
    spec:
      containers: [{name: a, image: x, ports: [{containerPort: 80}, {containerPort: 9000}, {containerPort: 443, protocol: UDP}]}]`,
		Want: []string{
			"DaemonSet/d spec.template.spec.containers[0].ports[0].containerPort",
			"DaemonSet/d spec.template.spec.containers[0].ports[2].containerPort",
		},
	}, {
		Name: "Windows pods are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: w}
spec:
  os: {name: windows}
  containers: [{name: a, image: x, ports: [{containerPort: 80}]}]`,
	}})
}
