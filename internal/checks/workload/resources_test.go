package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// resourceFixture holds one container per way of getting (or missing)
// resources, in namespace ns unless a test adds a LimitRange.
const resourceFixture = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: x}
      - {name: sidecar, image: x, restartPolicy: Always}
      containers:
      - name: full
        image: x
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {cpu: 500m, memory: 128Mi}
      - name: limits-only
        image: x
        resources: {limits: {cpu: 500m, memory: 128Mi}}
      - name: requests-only
        image: x
        resources: {requests: {cpu: 100m, memory: 64Mi}}
      - {name: none, image: x}
      ephemeralContainers:
      - {name: debug, image: x}
`

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

func TestResourceRequests(t *testing.T) {
	runFixtures(t, ResourceRequests, []fixture{{
		name: "limits stand in for requests; plain init and ephemeral containers are skipped",
		yaml: resourceFixture,
		want: []string{
			"Deployment/d spec.template.spec.initContainers[1].resources.requests",
			"Deployment/d spec.template.spec.containers[3].resources.requests",
		},
	}, {
		name: "LimitRange defaults: defaultRequest, else default, else min",
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
		want: []string{"Pod/half spec.containers[0].resources.requests"},
	}, {
		name: "pod-level requests cover the containers",
		yaml: `apiVersion: v1
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

func TestCPULimit(t *testing.T) {
	fs := checktest.Run(t, resourceFixture, nil, CPULimit)
	checktest.Expect(t, fs,
		"Deployment/d spec.template.spec.initContainers[0].resources.limits.cpu",
		"Deployment/d spec.template.spec.initContainers[1].resources.limits.cpu",
		"Deployment/d spec.template.spec.containers[2].resources.limits.cpu",
		"Deployment/d spec.template.spec.containers[3].resources.limits.cpu",
	)
	for _, f := range fs {
		if f.Severity != check.Info {
			t.Errorf("%s: severity %s, want info", f.Path, f.Severity)
		}
	}
	checktest.Expect(t, checktest.Run(t, resourceFixture+`---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, default: {cpu: "1"}}]`, nil, CPULimit))
}
