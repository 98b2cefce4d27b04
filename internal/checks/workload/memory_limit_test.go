package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestMemoryLimit(t *testing.T) {
	checktest.RunFixtures(t, MemoryLimit, nil, []checktest.Fixture{{
		Name: "containers and init containers without a memory limit",
		YAML: resourceFixture,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].resources.limits.memory",
			"Deployment/d spec.template.spec.initContainers[1].resources.limits.memory",
			"Deployment/d spec.template.spec.containers[2].resources.limits.memory",
			"Deployment/d spec.template.spec.containers[3].resources.limits.memory",
		},
	}, {
		Name: "a LimitRange default limit of the namespace covers them",
		YAML: resourceFixture + `---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, default: {memory: 256Mi}}]`,
	}, {
		Name: "a LimitRange max stands in for a missing default",
		YAML: resourceFixture + `---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, max: {memory: 1Gi}}]`,
	}, {
		Name: "a Pod-type LimitRange or one in another namespace does not",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Pod, max: {memory: 1Gi}}]
---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: other}
spec:
  limits: [{type: Container, default: {memory: 1Gi}}]`,
		Want: []string{"Pod/p spec.containers[0].resources.limits.memory"},
	}, {
		Name: "a pod-level memory limit bounds every container",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {memory: 1Gi}}
  containers: [{name: a, image: x}, {name: b, image: x}]`,
	}})
}
