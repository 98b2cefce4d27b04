package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestLinuxHardening(t *testing.T) {
	checktest.RunFixtures(t, LinuxHardening, nil, []checktest.Fixture{{
		Name: "one mechanism per container is enough",
		YAML: `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {container.apparmor.security.beta.kubernetes.io/d: runtime/default}
spec:
  containers:
  - {name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}
  - {name: b, image: x, securityContext: {seLinuxOptions: {level: "s0:c123,c456"}}}
  - {name: c, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}
  - {name: d, image: x}
  - {name: e, image: x, securityContext: {appArmorProfile: {type: RuntimeDefault}}}`,
	}, {
		Name: "pod-level seccomp covers every container",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}
      containers: [{name: a, image: x}]`,
	}, {
		Name: "nothing, unconfined profiles, an empty drop list and another container's annotation fail",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations: {container.apparmor.security.beta.kubernetes.io/other: runtime/default, container.apparmor.security.beta.kubernetes.io/b: unconfined}
    spec:
      securityContext: {seccompProfile: {type: Unconfined}, runAsNonRoot: true}
      initContainers:
      - {name: init, image: x}
      containers:
      - {name: a, image: x, securityContext: {capabilities: {drop: []}, seccompProfile: {type: Unconfined}}}
      - {name: b, image: x}
      - {name: other, image: x}`,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].securityContext",
			"Deployment/d spec.template.spec.containers[0].securityContext",
			"Deployment/d spec.template.spec.containers[1].securityContext",
		},
	}, {
		Name: "privileged, Windows and ephemeral containers are left to other checks",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x, securityContext: {privileged: true}}]
  ephemeralContainers: [{name: e, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: w}
spec:
  os: {name: windows}
  containers: [{name: a, image: x}]`,
	}})
}
