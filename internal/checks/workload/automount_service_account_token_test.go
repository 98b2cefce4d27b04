package workload

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestAutomountServiceAccountToken(t *testing.T) {
	const deploy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns}
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{name: a, image: x}]
`
	checktest.RunFixtures(t, AutomountServiceAccountToken, nil, []checktest.Fixture{{
		Name: "a mirror Pod gets no token",
		YAML: mirrorPod,
	}, {
		Name: "unbound account, not in the scan: the pod alone decides",
		YAML: deploy,
		Want: []string{"Deployment/d spec.template.spec.automountServiceAccountToken"},
	}, {
		Name: "the ServiceAccount says false",
		YAML: deploy + `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ns}
automountServiceAccountToken: false`,
	}, {
		Name: "the ServiceAccount says nothing",
		YAML: deploy + `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ns}`,
		Want: []string{"Deployment/d spec.template.spec.automountServiceAccountToken"},
	}, {
		Name: "a ServiceAccount of the same name elsewhere does not count",
		YAML: deploy + `---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: other}
automountServiceAccountToken: false`,
		Want: []string{"Deployment/d spec.template.spec.automountServiceAccountToken"},
	}, {
		Name: "the pod's false wins over the account's true; the pod's explicit true is a decision",
		YAML: `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ns}
automountServiceAccountToken: true
---
apiVersion: v1
kind: Pod
metadata: {name: off, namespace: ns}
spec:
  serviceAccountName: app
  automountServiceAccountToken: false
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: on, namespace: ns}
spec:
  serviceAccountName: app
  automountServiceAccountToken: true
  containers: [{name: a, image: x}]`,
	}, {
		Name: "an account named by a RoleBinding needs its token",
		YAML: deploy + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: app}]`,
	}, {
		Name: "a ClusterRoleBinding naming it as a user counts; a group does not",
		YAML: deploy + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccount:ns:app"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: grouped, namespace: ns}
spec:
  template:
    spec:
      serviceAccountName: other
      containers: [{name: a, image: x}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: group}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: "system:serviceaccounts:ns"}]`,
		Want: []string{"Deployment/grouped spec.template.spec.automountServiceAccountToken"},
	}, {
		Name: "a binding in another namespace names another account",
		YAML: deploy + `---
apiVersion: rbac.authorization.k8s.io/v1beta1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: ServiceAccount, name: app, namespace: elsewhere}]`,
		Want: []string{"Deployment/d spec.template.spec.automountServiceAccountToken"},
	}, {
		Name: "the default account is left to default-service-account",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]`,
	}})
}

func TestAutomountServiceAccountTokenMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: app
  containers: [{name: a, image: x}]
`, nil, AutomountServiceAccountToken)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "not in the scan") {
		t.Fatalf("findings = %+v", fs)
	}
}
