package workload

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDefaultServiceAccount(t *testing.T) {
	runFixtures(t, DefaultServiceAccount, []fixture{{
		name: "implicit and explicit default with a token fail",
		yaml: `apiVersion: v1
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
		want: []string{
			"Deployment/explicit spec.template.spec.serviceAccountName",
			"Pod/deprecated spec.serviceAccount",
			"Pod/implicit spec.serviceAccountName",
		},
	}, {
		name: "another account passes",
		yaml: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: app
  containers: [{name: a, image: x}]`,
	}, {
		name: "no token: the pod says false, or the default account of the namespace does",
		yaml: `apiVersion: v1
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
		want: []string{"Pod/other-ns spec.serviceAccountName"},
	}, {
		name: "a projected token is a token",
		yaml: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  automountServiceAccountToken: false
  containers: [{name: a, image: x}]
  volumes:
  - name: t
    projected:
      sources: [{serviceAccountToken: {path: token, audience: vault}}]`,
		want: []string{"Pod/p spec.serviceAccountName"},
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
