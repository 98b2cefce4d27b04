package workload

import (
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	_ "github.com/kubeward/kubeward/internal/checks/pss" // the Pod Security checks these fold with
)

func registered(t *testing.T, id string) *check.Check {
	t.Helper()
	c, ok := check.Get(id)
	if !ok {
		t.Fatalf("check %s is not registered", id)
	}
	return c
}

// TestResourcesOneFindingPerContainer: a container without a resources
// block is one finding naming all that is missing, each folded check still
// there under it with its own fingerprint.
func TestResourcesOneFindingPerContainer(t *testing.T) {
	yaml := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: ns}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: none, image: x}\n"
	fs := checktest.Run(t, yaml, nil, MemoryLimit, CPULimit, ResourceRequests)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want one: %v", len(fs), checktest.Describe(fs))
	}
	f := fs[0]
	if f.CheckID != MemoryLimit.ID || f.Severity != check.Medium {
		t.Errorf("speaks: %s %s, want memory-limit medium", f.CheckID, f.Severity)
	}
	for _, want := range []string{"no memory limit", "no CPU limit (cpu-limit)", "no CPU or memory request (resource-requests)"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q does not say %q", f.Message, want)
		}
	}
	var folded []string
	for _, g := range f.Folded {
		folded = append(folded, g.CheckID)
	}
	slices.Sort(folded)
	if !slices.Equal(folded, []string{CPULimit.ID, ResourceRequests.ID}) {
		t.Errorf("folded %v", folded)
	}
}

const hostPod = `apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ns}
spec:
  containers:
  - name: agent
    image: x
    securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN, NET_ADMIN]}}
    volumeMounts:
    - {name: sock, mountPath: /var/run/docker.sock}
    - {name: logs, mountPath: /var/log}
  volumes:
  - {name: sock, hostPath: {path: /var/run/docker.sock}}
  - {name: logs, hostPath: {path: /var/log}}
`

// TestHostPathSpeaksForPodSecurity: the Pod Security control on hostPath
// volumes folds into the more specific sensitive-host-path finding, which
// names it; without a sensitive path it stands alone.
func TestHostPathSpeaksForPodSecurity(t *testing.T) {
	pssHostPath := registered(t, "pss-host-path-volumes")
	fs := checktest.Run(t, hostPod, nil, SensitiveHostPath, pssHostPath)
	checktest.Expect(t, fs, "Pod/agent spec.volumes[0].hostPath.path")
	if len(fs) == 1 && (len(fs[0].Folded) != 1 || !strings.Contains(fs[0].Message, "(pss-host-path-volumes)")) {
		t.Errorf("sensitive-host-path should name and hold the PSS finding: %q folded %d", fs[0].Message, len(fs[0].Folded))
	}
	logsOnly := strings.NewReplacer("    - {name: sock, mountPath: /var/run/docker.sock}\n", "", "  - {name: sock, hostPath: {path: /var/run/docker.sock}}\n", "").Replace(hostPod)
	checktest.Expect(t, checktest.Run(t, logsOnly, nil, SensitiveHostPath, pssHostPath), "Pod/agent spec.volumes[0].hostPath")
}

// TestPrivilegedSpeaksForCapabilities: a privileged container holds every
// capability, so the capability control adds nothing while only privileged
// containers fail it; an unprivileged one adding capabilities is its own
// finding.
func TestPrivilegedSpeaksForCapabilities(t *testing.T) {
	priv, caps := registered(t, "pss-privileged"), registered(t, "pss-capabilities-baseline")
	fs := checktest.Run(t, hostPod, nil, priv, caps)
	checktest.Expect(t, fs, "Pod/agent spec.containers[0].securityContext.privileged")
	if len(fs) == 1 && !strings.Contains(fs[0].Message, "(pss-capabilities-baseline)") {
		t.Errorf("message %q does not name the folded capability control", fs[0].Message)
	}
	second := strings.Replace(hostPod, "  volumes:\n", "  - {name: helper, image: y, securityContext: {capabilities: {add: [NET_ADMIN]}}}\n  volumes:\n", 1)
	checktest.Expect(t, checktest.Run(t, second, nil, priv, caps),
		"Pod/agent spec.containers[0].securityContext.capabilities.add", "Pod/agent spec.containers[0].securityContext.privileged")
}
