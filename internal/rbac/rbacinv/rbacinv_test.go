package rbacinv_test

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	rbacchecks "github.com/kubeward/kubeward/internal/checks/rbac"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

const manifests = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: app}]
---
apiVersion: v1
kind: Secret
metadata: {name: app-token, namespace: tools, annotations: {kubernetes.io/service-account.name: app}}
type: kubernetes.io/service-account-token
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: tools}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: app, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: tools, annotations: {eks.amazonaws.com/role-arn: x}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: token-reader, namespace: tools}
rules: [{verbs: [get], apiGroups: [""], resources: [secrets], resourceNames: [app-token]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev, namespace: tools}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-reader}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: dev}]
`

func TestBuild(t *testing.T) {
	_, inv := checktest.RunResult(t, manifests, nil, rbacchecks.SecretsRead)
	m := rbacinv.Build(inv)
	if m.Cluster {
		t.Error("files taken for a cluster")
	}
	// No namespace: default, and the SA subject defaults to it; the
	// bootstrap view role resolves.
	d := m.Allowed(rbac.UserInfoFor(rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: "default", Name: "app"}),
		rbac.Attributes{Verb: "list", Resource: "pods", Namespace: "default"})
	if !d.Allowed || d.Grant.Binding.String() != "RoleBinding default/readers" {
		t.Errorf("view through a namespace-less RoleBinding: %+v", d)
	}
	if m.Objects[rbac.ObjectRef{Kind: "RoleBinding", Namespace: "default", Name: "readers"}] == nil {
		t.Error("binding not mapped back to its object")
	}
	sa := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: "tools", Name: "app"}
	if m.ServiceAccounts[sa] == nil || m.ServiceAccounts[sa].Annotations["eks.amazonaws.com/role-arn"] != "x" {
		t.Errorf("service account not indexed: %v", m.ServiceAccounts)
	}
	// The token Secret feeds the escalation graph: reading it reaches the
	// account.
	found := false
	for _, s := range m.Escalation().Reachable(rbac.Subject{Kind: rbac.KindUser, Name: "dev"}) {
		found = found || s.To == sa && s.Grants[0].Binding.String() == "RoleBinding tools/dev"
	}
	if !found {
		t.Error("reading the token Secret does not reach its service account")
	}
	if len(m.Problems()) != 0 {
		t.Errorf("problems: %v", m.Problems())
	}
}
