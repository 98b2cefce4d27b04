package workload

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDefaultServiceAccount(t *testing.T) {
	checktest.RunFixtures(t, DefaultServiceAccount, nil, []checktest.Fixture{{
		Name: "implicit and explicit default with a token fail",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: implicit}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: explicit}
spec:
  template:
    spec:
      serviceAccountName: default
      containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: deprecated}
spec:
  serviceAccount: default
  containers: [{name: a, image: x}]`,
		Want: []string{
			"Deployment/explicit spec.template.spec.serviceAccountName",
			"Pod/deprecated spec.serviceAccount",
			"Pod/implicit spec.serviceAccountName",
		},
	}, {
		Name: "another account passes",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: app
  containers: [{name: a, image: x}]`,
	}, {
		Name: "no token: the pod says false, or the default account of the namespace does",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: off}
spec:
  automountServiceAccountToken: false
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: ns}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: account-off, namespace: ns}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: other-ns, namespace: other}
spec:
  containers: [{name: a, image: x}]`,
		Want: []string{"Pod/other-ns spec.serviceAccountName"},
	}, {
		Name: "a projected token is a token",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  automountServiceAccountToken: false
  containers: [{name: a, image: x}]
  volumes:
  - name: t
    projected:
      sources: [{serviceAccountToken: {path: token, audience: vault}}]`,
		Want: []string{"Pod/p spec.serviceAccountName"},
	}})
}

func TestDefaultServiceAccountMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
`, nil, DefaultServiceAccount)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "no serviceAccountName is set") {
		t.Fatalf("findings = %+v", fs)
	}
}
