package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestDashboardAdmin(t *testing.T) {
	const dashboard = "[{kind: ServiceAccount, name: kubernetes-dashboard, namespace: kube-system}]"
	checktest.RunFixtures(t, DashboardAdmin, nil, []checktest.Fixture{{
		Name: "the dashboard bound to a narrow role, and another account bound to cluster-admin, pass",
		YAML: serviceAccount("kube-system", "kubernetes-dashboard", "") + crb("dash", "view", dashboard) + crb("ci", "cluster-admin", "[{kind: ServiceAccount, name: ci, namespace: tools}]"),
	}, {
		Name: "the dashboard of kube-system bound to cluster-admin fails",
		YAML: serviceAccount("kube-system", "kubernetes-dashboard", "") + crb("kubernetes-dashboard", "cluster-admin", dashboard),
		Want: []string{"ClusterRoleBinding/kubernetes-dashboard subjects[0]"},
	}, {
		Name: "another account bound to cluster-admin, its pods not the dashboard",
		YAML: deployment("ui", "web", "ui-sa", "") + crb("admin", "cluster-admin", "[{kind: ServiceAccount, name: ui-sa, namespace: ui}]"),
	}, {
		Name: "image match",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ui}
spec:
  template:
    spec: {serviceAccountName: ui-sa, containers: [{name: c, image: "kubernetesui/dashboard:v2.7.0"}]}
---
` + crb("admin", "cluster-admin", "[{kind: ServiceAccount, name: ui-sa, namespace: ui}]"),
		Want: []string{"ClusterRoleBinding/admin subjects[0]"},
	}})
}
