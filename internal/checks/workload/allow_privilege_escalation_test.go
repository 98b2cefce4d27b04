package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestAllowPrivilegeEscalation(t *testing.T) {
	checktest.RunFixtures(t, AllowPrivilegeEscalation, nil, []checktest.Fixture{{
		Name: "false passes",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers: [{name: i, image: x, securityContext: {allowPrivilegeEscalation: false}}]
  containers: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: false}}]`,
	}, {
		Name: "unset and true fail, init containers too",
		YAML: `apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers: [{name: i, image: x}]
      containers:
      - {name: a, image: x, securityContext: {allowPrivilegeEscalation: true}}
      - {name: b, image: x, securityContext: {runAsNonRoot: true}}`,
		Want: []string{
			"Job/j spec.template.spec.initContainers[0].securityContext.allowPrivilegeEscalation",
			"Job/j spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
			"Job/j spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation",
		},
	}, {
		Name: "privileged and CAP_SYS_ADMIN containers cannot say false: skipped; SYS_ADMIN can",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: priv, image: x, securityContext: {privileged: true}}
  - {name: capsys, image: x, securityContext: {capabilities: {add: [CAP_SYS_ADMIN]}}}
  - {name: sys, image: x, securityContext: {capabilities: {add: [SYS_ADMIN]}}}`,
		Want: []string{"Pod/p spec.containers[2].securityContext.allowPrivilegeEscalation"},
	}, {
		Name: "Windows pods and ephemeral containers are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: eph}
spec:
  containers: [{name: a, image: x, securityContext: {allowPrivilegeEscalation: false}}]
  ephemeralContainers: [{name: debug, image: x}]`,
	}})
}
