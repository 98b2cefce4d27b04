package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRunAsRootGroup(t *testing.T) {
	checktest.RunFixtures(t, RunAsRootGroup, nil, []checktest.Fixture{{
		Name: "non-zero and unset groups pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsGroup: 1000, fsGroup: 2000, supplementalGroups: [3000]}
  containers:
  - {name: a, image: x, securityContext: {runAsGroup: 10001}}
  - {name: b, image: x}`,
	}, {
		Name: "every root-group field fails at its own path",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext: {runAsGroup: 0, fsGroup: 0, supplementalGroups: [5, 0]}
      initContainers:
      - {name: init, image: x, securityContext: {runAsGroup: 0}}
      containers:
      - {name: a, image: x, securityContext: {runAsGroup: 0}}
      - {name: b, image: x, securityContext: {runAsGroup: 7}}`,
		Want: []string{
			"Deployment/d spec.template.spec.securityContext.runAsGroup",
			"Deployment/d spec.template.spec.securityContext.fsGroup",
			"Deployment/d spec.template.spec.securityContext.supplementalGroups[1]",
			"Deployment/d spec.template.spec.initContainers[0].securityContext.runAsGroup",
			"Deployment/d spec.template.spec.containers[0].securityContext.runAsGroup",
		},
	}, {
		Name: "user namespaces, Windows pods and ephemeral containers are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: userns}
spec:
  hostUsers: false
  securityContext: {runAsGroup: 0}
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  securityContext: {fsGroup: 0}
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: a, image: x}]
  ephemeralContainers: [{name: d, image: x, securityContext: {runAsGroup: 0}}]`,
	}, {
		// Trivy's KSV029 denied fixture shape: the pod-level fields.
		Name: "CronJob pod template",
		YAML: `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {fsGroup: 0}
          containers: [{name: a, image: x}]`,
		Want: []string{"CronJob/c spec.jobTemplate.spec.template.spec.securityContext.fsGroup"},
	}})
}
