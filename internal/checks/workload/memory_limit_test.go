package workload

import (
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	runFixtures(t, MemoryLimit, []fixture{{
		name: "containers and init containers without a memory limit",
		yaml: resourceFixture,
		want: []string{
			"Deployment/d spec.template.spec.initContainers[0].resources.limits.memory",
			"Deployment/d spec.template.spec.initContainers[1].resources.limits.memory",
			"Deployment/d spec.template.spec.containers[2].resources.limits.memory",
			"Deployment/d spec.template.spec.containers[3].resources.limits.memory",
		},
	}, {
		name: "a LimitRange default limit of the namespace covers them",
		yaml: resourceFixture + `---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, default: {memory: 256Mi}}]`,
	}, {
		name: "a LimitRange max stands in for a missing default",
		yaml: resourceFixture + `---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, max: {memory: 1Gi}}]`,
	}, {
		name: "a Pod-type LimitRange or one in another namespace does not",
		yaml: `apiVersion: v1
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
		want: []string{"Pod/p spec.containers[0].resources.limits.memory"},
	}, {
		name: "a pod-level memory limit bounds every container",
		yaml: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {limits: {memory: 1Gi}}
  containers: [{name: a, image: x}, {name: b, image: x}]`,
	}})
}
