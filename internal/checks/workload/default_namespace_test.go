package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDefaultNamespace(t *testing.T) {
	checktest.RunFixtures(t, DefaultNamespace, nil, []checktest.Fixture{{
		Name: "explicit default fails, for every workload kind",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c, namespace: default}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: a, image: x}]`,
		Want: []string{"CronJob/c metadata.namespace", "Pod/p metadata.namespace"},
	}, {
		Name: "no namespace is the deployer's choice; other namespaces and other kinds pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: apps}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: default}`,
	}})
}
