package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestCPULimit(t *testing.T) {
	checktest.RunFixtures(t, CPULimit, nil, []checktest.Fixture{{
		Name: "containers and init containers without a CPU limit",
		YAML: resourceFixture,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].resources.limits.cpu",
			"Deployment/d spec.template.spec.initContainers[1].resources.limits.cpu",
			"Deployment/d spec.template.spec.containers[2].resources.limits.cpu",
			"Deployment/d spec.template.spec.containers[3].resources.limits.cpu",
		},
	}, {
		Name: "a LimitRange default limit of the namespace covers them",
		YAML: resourceFixture + `---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, default: {cpu: "1"}}]`,
	}, {
		Name: "a pod-level CPU limit bounds every container",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {cpu: "1"}}
  containers: [{name: a, image: x}, {name: b, image: x}]`,
	}})
}

func TestCPULimitSeverity(t *testing.T) {
	fs := checktest.Run(t, resourceFixture, nil, CPULimit)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs {
		if f.Severity != check.Info {
			t.Errorf("%s: severity %s, want info", f.Path, f.Severity)
		}
	}
}
