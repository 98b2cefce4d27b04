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
		Name: "a mirror Pod of a static Pod has no service account and no token",
		YAML: mirrorPod,
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

// mirrorPod is the mirror Pod the kubelet creates for kubeadm's static
// kube-apiserver Pod, as the API returns it: the ServiceAccount admission
// plugin leaves mirror Pods alone (no account, no token volume) and rejects
// one that references either.
const mirrorPod = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
  annotations:
    kubernetes.io/config.hash: 3c5bd0b0e0c2
    kubernetes.io/config.mirror: 3c5bd0b0e0c2
    kubernetes.io/config.source: file
  ownerReferences:
  - {apiVersion: v1, kind: Node, name: cp1, uid: 0b6a9d7e-1111-4222-8333-944455556666, controller: true}
spec:
  hostNetwork: true
  nodeName: cp1
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.37.2
    command: [kube-apiserver, --authorization-mode=Node,RBAC]
`
