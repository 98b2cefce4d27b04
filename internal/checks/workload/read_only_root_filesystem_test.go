package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestReadOnlyRootFilesystem(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{{
		name: "read-only containers pass",
		yaml: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: init, image: x, securityContext: {readOnlyRootFilesystem: true}}
  containers:
  - {name: app, image: x, securityContext: {readOnlyRootFilesystem: true}}`,
	}, {
		name: "missing and false fail per container, init containers too",
		yaml: `apiVersion: apps/v1
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
		want: []string{
			"Deployment/d spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem",
			"Deployment/d spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem",
		},
	}, {
		name: "CronJob templates are checked",
		yaml: `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: a, image: x}]`,
		want: []string{"CronJob/c spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tt.yaml, nil, ReadOnlyRootFilesystem), tt.want...)
		})
	}
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
