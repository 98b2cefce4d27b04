package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestCapabilitiesDropAll(t *testing.T) {
	checktest.RunFixtures(t, CapabilitiesDropAll, nil, []checktest.Fixture{{
		Name: "drop ALL in any case passes, adding one back too",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - {name: init, image: x, securityContext: {capabilities: {drop: [all]}}}
  containers:
  - {name: app, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}}`,
	}, {
		Name: "missing, partial and empty drop lists fail per container",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: x}
      containers:
      - {name: partial, image: x, securityContext: {capabilities: {drop: [NET_RAW, CHOWN]}}}
      - {name: empty, image: x, securityContext: {capabilities: {drop: []}}}
      - {name: ok, image: x, securityContext: {capabilities: {drop: [ALL]}}}`,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].securityContext.capabilities.drop",
			"Deployment/d spec.template.spec.containers[0].securityContext.capabilities.drop",
			"Deployment/d spec.template.spec.containers[1].securityContext.capabilities.drop",
		},
	}, {
		Name: "privileged, ephemeral and Windows containers are left to other checks",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: priv, image: x, securityContext: {privileged: true}}
  ephemeralContainers:
  - {name: debug, image: x}
---
apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  containers:
  - {name: app, image: x}`,
	}, {
		Name: "privileged: false is still checked",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: app, image: x, securityContext: {privileged: false}}`,
		Want: []string{"Pod/p spec.containers[0].securityContext.capabilities.drop"},
	}})
}

func TestCapabilitiesDropAllMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}
`, nil, CapabilitiesDropAll)
	if len(fs) != 1 || fs[0].Message != `container "a" drops only NET_RAW, not ALL` {
		t.Fatalf("findings = %+v", fs)
	}
}

// TestRestrictedLevelStepsAside checks that the hardening checks the
// restricted Pod Security level covers do not run under it.
func TestRestrictedLevelStepsAside(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]`
	overlapping := []*check.Check{CapabilitiesDropAll, RunAsNonRoot, AllowPrivilegeEscalation}
	restricted := check.DefaultOptions()
	restricted.PSSLevel = "restricted"
	for _, c := range overlapping {
		if fs := checktest.Run(t, pod, nil, c); len(fs) != 1 {
			t.Errorf("%s at baseline: %d findings, want 1", c.ID, len(fs))
		}
		if fs := checktest.Run(t, pod, restricted, c); len(fs) != 0 {
			t.Errorf("%s at restricted: %d findings, want none", c.ID, len(fs))
		}
	}
}
