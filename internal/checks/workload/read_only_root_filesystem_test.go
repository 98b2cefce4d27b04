package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestReadOnlyRootFilesystem(t *testing.T) {
	checktest.RunFixtures(t, ReadOnlyRootFilesystem, nil, []checktest.Fixture{{
		Name: "read-only containers pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: init, image: x, securityContext: {readOnlyRootFilesystem: true}}
  containers:
  - {name: app, image: x, securityContext: {readOnlyRootFilesystem: true}}`,
	}, {
		Name: "missing and false fail per container, init containers too",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: x}
      containers:
      - {name: ok, image: x, securityContext: {readOnlyRootFilesystem: true}}
      - {name: off, image: x, securityContext: {readOnlyRootFilesystem: false}}`,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem",
			"Deployment/d spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem",
		},
	}, {
		Name: "CronJob templates are checked",
		YAML: `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: a, image: x}]`,
		Want: []string{"CronJob/c spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"},
	}})
}

func TestReadOnlyRootFilesystemPosition(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    securityContext:
      readOnlyRootFilesystem: false
`, nil, ReadOnlyRootFilesystem)
	if len(fs) != 1 || fs[0].Position.Line != 9 || fs[0].Position.Column != 7 {
		t.Fatalf("findings = %+v, want one at 9:7", fs)
	}
}
