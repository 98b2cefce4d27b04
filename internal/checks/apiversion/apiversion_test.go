package apiversion

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestLibraryVersion holds the fallback (the newest release an API version
// of the libraries was introduced in) to the module's own version: go.mod
// requires k8s.io/api v0.N, which is Kubernetes 1.N.
func TestLibraryVersion(t *testing.T) {
	mod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/api v0\.(\d+)\.`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod requires no k8s.io/api")
	}
	if want := "1." + string(m[1]); LibraryVersion() != want || known.newest.String() != want {
		t.Errorf("library version %s (newest introduced %s), want %s", LibraryVersion(), known.newest, want)
	}
}

func TestTable(t *testing.T) {
	ing := schema.GroupVersionKind{Group: "extensions", Version: "v1beta1", Kind: "Ingress"}
	l, ok := known.life[ing]
	if !ok || l.removed.String() != "1.22" || l.deprecated.String() != "1.14" || l.replacement.Group != "networking.k8s.io" {
		t.Errorf("extensions/v1beta1 Ingress: %+v", l)
	}
	if v := known.kinds[schema.GroupKind{Group: "apps", Kind: "Deployment"}]; len(v) == 0 || v[0] != "v1" {
		t.Errorf("apps Deployment versions = %v, want v1 first", v)
	}
	for _, gk := range inputs {
		if gk.Group == "authentication.k8s.io" || gk.Kind == "Event" || strings.HasSuffix(gk.Kind, "List") {
			t.Errorf("%s must not be listed: nothing of it is stored, or it costs more than it finds", gk)
		}
	}
}

func opts(kube string) *check.Options {
	o := check.DefaultOptions()
	o.KubeVersion = kube
	return o
}

const oldIngress = `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web}
spec: {backend: {serviceName: web, servicePort: 80}}
`

const betaCronJob = `apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "* * * * *"
  jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: x}]}}}}
`

func TestRemoved(t *testing.T) {
	checktest.RunFixtures(t, Removed, nil, []checktest.Fixture{{
		Name: "GA versions and custom resources pass",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
---
apiVersion: example.com/v1beta1
kind: Widget
metadata: {name: w}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {template: {spec: {containers: [{name: a, image: x}]}}}
---
# OpenShift 3's legacy DeploymentConfig: OpenShift serves it, not the core group.
apiVersion: v1
kind: DeploymentConfig
metadata: {name: frontend}
spec: {template: {spec: {containers: [{name: a, image: x}]}}}`,
	}, {
		// Versions the libraries no longer carry (autoscaling/v2beta2,
		// PodSecurityPolicy) are input errors of the decoder at their
		// release (internal/manifest's TestRejectedKinds); in a cluster
		// their last applied version is judged here (below).
		Name: "removed versions fail at apiVersion",
		YAML: oldIngress + "---\n" + betaCronJob,
		Want: []string{"Ingress/web apiVersion", "CronJob/c apiVersion"},
	}})
	fs := checktest.Run(t, oldIngress, nil, Removed)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "not served since Kubernetes 1.22") || !strings.Contains(fs[0].Message, "use networking.k8s.io/v1 Ingress") {
		t.Errorf("message: %+v", fs)
	}
	// An old target still serves it.
	old := opts("v1.21.4")
	if fs := checktest.Run(t, oldIngress, old, Removed); len(fs) != 0 {
		t.Errorf("at 1.21: %+v", fs)
	}
	// In a cluster only the last applied version tells.
	applied := `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"c"}}'
spec:
  schedule: "* * * * *"
  jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: x}]}}}}
`
	checktest.Expect(t, checktest.RunCluster(t, applied, nil, Removed), "CronJob/c apiVersion")
	appliedHPA := `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: h
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"autoscaling/v2beta2","kind":"HorizontalPodAutoscaler","metadata":{"name":"h"}}'
`
	fs = checktest.RunCluster(t, appliedHPA, nil, Removed)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "libraries no longer carry it") {
		t.Errorf("last applied in a version the libraries no longer carry: %+v", fs)
	}
	checktest.Expect(t, checktest.RunCluster(t, betaCronJob, nil, Removed))
}

func TestDeprecated(t *testing.T) {
	checktest.RunFixtures(t, Deprecated, opts("1.20"), []checktest.Fixture{{
		Name: "deprecated and still served at the target",
		YAML: oldIngress + "---\n" + betaCronJob,
		Want: []string{"Ingress/web apiVersion"},
	}, {
		Name: "GA passes",
		YAML: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n",
	}})
	fs := checktest.Run(t, betaCronJob, opts("1.22"), Deprecated)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "deprecated since Kubernetes 1.21 and removed in 1.25") || !strings.Contains(fs[0].Message, "use batch/v1 CronJob") {
		t.Errorf("CronJob at 1.22: %+v", fs)
	}
	if fs := checktest.Run(t, betaCronJob, nil, Deprecated); len(fs) != 0 {
		t.Errorf("removed at the default target: reported as removed, not deprecated: %+v", fs)
	}
}
