package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestRunAsNonRoot(t *testing.T) {
	checktest.RunFixtures(t, RunAsNonRoot, nil, []checktest.Fixture{{
		Name: "pod-level runAsNonRoot covers every container",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  initContainers: [{name: init, image: x}]
  containers: [{name: app, image: x}]`,
	}, {
		Name: "explicit non-zero runAsUser passes at either level",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 1000}
  containers:
  - {name: a, image: x}
  - {name: b, image: x, securityContext: {runAsUser: 65534, runAsNonRoot: false}}`,
	}, {
		Name: "nothing set: one finding at the pod for all inheriting containers",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers: [{name: init, image: x}]
      containers: [{name: a, image: x}, {name: b, image: x}]`,
		Want: []string{"Deployment/d spec.template.spec.securityContext.runAsNonRoot"},
	}, {
		Name: "runAsUser 0 fails wherever it is set, even with runAsNonRoot",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: ok, image: x}
  - {name: root, image: x, securityContext: {runAsUser: 0}}
---
apiVersion: v1
kind: Pod
metadata: {name: q}
spec:
  securityContext: {runAsUser: 0}
  containers:
  - {name: inherits, image: x}
  - {name: overrides, image: x, securityContext: {runAsUser: 10}}`,
		Want: []string{
			"Pod/p spec.containers[1].securityContext.runAsUser",
			"Pod/q spec.securityContext.runAsUser",
		},
	}, {
		Name: "container runAsNonRoot: false overrides the pod's true",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: a, image: x, securityContext: {runAsNonRoot: false}}`,
		Want: []string{"Pod/p spec.containers[0].securityContext.runAsNonRoot"},
	}, {
		Name: "container runAsNonRoot: true fixes a pod without settings",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, securityContext: {runAsNonRoot: true}}
  - {name: b, image: x}`,
		Want: []string{"Pod/p spec.securityContext.runAsNonRoot"},
	}, {
		Name: "user namespaces, Windows and ephemeral containers are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: userns}
spec:
  hostUsers: false
  containers: [{name: a, image: x}]
---
apiVersion: v1
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
  securityContext: {runAsNonRoot: true}
  containers: [{name: a, image: x}]
  ephemeralContainers: [{name: debug, image: x}]`,
	}})
}

func TestRunAsNonRootMessages(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: false}
  containers: [{name: a, image: x}, {name: b, image: x}]
`, nil, RunAsNonRoot)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, `containers "a" and "b"`) || !strings.Contains(fs[0].Message, "runAsNonRoot is false") {
		t.Fatalf("findings = %+v", fs)
	}
	// The position is the pod's runAsNonRoot line.
	if fs[0].Position.Line != 5 {
		t.Errorf("line = %d, want 5", fs[0].Position.Line)
	}

	fs = checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsUser: 0, runAsNonRoot: true}
  initContainers: [{name: i, image: x}]
  containers: [{name: a, image: x}, {name: b, image: x, securityContext: {runAsUser: 0}}]
`, nil, RunAsNonRoot)
	got := map[string]string{}
	for _, f := range fs {
		got[f.Path] = f.Message
	}
	want := map[string]string{
		"spec.securityContext.runAsUser":               `containers "i" and "a" run as root (runAsUser: 0), which contradicts runAsNonRoot: true: the API or the kubelet will refuse it`,
		"spec.containers[1].securityContext.runAsUser": `container "b" runs as root (runAsUser: 0), which contradicts runAsNonRoot: true: the API or the kubelet will refuse it`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("messages:\n got %q\nwant %q", got, want)
	}
}
