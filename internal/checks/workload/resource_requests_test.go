package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestResourceRequests(t *testing.T) {
	checktest.RunFixtures(t, ResourceRequests, nil, []checktest.Fixture{{
		Name: "limits stand in for requests; plain init and ephemeral containers are skipped",
		YAML: resourceFixture,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[1].resources.requests",
			"Deployment/d spec.template.spec.containers[3].resources.requests",
		},
	}, {
		Name: "LimitRange defaults: defaultRequest, else default, else min",
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
  limits: [{type: Container, default: {cpu: "1"}, min: {memory: 16Mi}}]
---
apiVersion: v1
kind: Pod
metadata: {name: half, namespace: half}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: half}
spec:
  limits: [{type: Container, defaultRequest: {cpu: 100m}}]`,
		Want: []string{"Pod/half spec.containers[0].resources.requests"},
	}, {
		Name: "pod-level requests cover the containers",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  resources: {requests: {cpu: 100m, memory: 64Mi}}
  containers: [{name: a, image: x}]`,
	}})
}

func TestResourceRequestsMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers: [{name: a, image: x, resources: {requests: {cpu: 10m}}}]
`, nil, ResourceRequests)
	want := `container "a" has no memory request, and no LimitRange in the scan gives namespace "ns" a default`
	if len(fs) != 1 || fs[0].Message != want {
		t.Fatalf("findings = %+v, want message %q", fs, want)
	}
}
