package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRunAsHighID(t *testing.T) {
	checktest.RunFixtures(t, RunAsHighID, nil, []checktest.Fixture{{
		Name: "a container's low id wins over the pod's high one",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 10001, runAsGroup: 20000}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {runAsUser: 1000}}`,
		Want: []string{"Pod/p spec.containers[1].securityContext.runAsUser"},
	}, {
		Name: "all high",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 10001, runAsGroup: 10001}
  containers: [{name: a, image: x, securityContext: {runAsGroup: 30000}}]`,
	}, {
		Name: "unset and low ids fail where they are set",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext: {runAsUser: 1000}
      containers:
      - {name: a, image: x, securityContext: {runAsGroup: 10000}}`,
		Want: []string{
			"Deployment/d spec.template.spec.securityContext.runAsUser",
			"Deployment/d spec.template.spec.containers[0].securityContext.runAsGroup",
		},
	}, {
		Name: "user namespaces and Windows pods are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: false
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: w}
spec:
  os: {name: windows}
  containers: [{name: a, image: x}]`,
	}})
}

func TestRunAsHighIDIsOptIn(t *testing.T) {
	all := []*check.Check{RunAsHighID, RunAsRootGroup}
	got, err := check.Select(all, nil, nil)
	if err != nil || len(got) != 1 || got[0] != RunAsRootGroup {
		t.Fatalf("default selection = %v, %v; want only the check that is not opt-in", got, err)
	}
	if got, err := check.Select(all, []string{RunAsHighID.ID}, nil); err != nil || len(got) != 1 {
		t.Fatalf("selection by id = %v, %v", got, err)
	}
}
