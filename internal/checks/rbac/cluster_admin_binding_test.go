package rbac

import "testing"

func TestClusterAdminBinding(t *testing.T) {
	runFixtures(t, ClusterAdminBinding, []fixture{
		{name: "bootstrap cluster-admin to a user", yaml: crb("b", "cluster-admin", userDev), want: []string{"ClusterRoleBinding/b subjects[0]"}},
		{name: "own */*/* role to a service account", yaml: clusterRole("god", "[{verbs: ['*'], apiGroups: ['*'], resources: ['*']}]") +
			crb("b", "god", "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: system:kube-scheduler}, {kind: ServiceAccount, name: op, namespace: tools}]"),
			want: []string{"ClusterRoleBinding/b subjects[1]"}},
		{name: "cluster-admin in one namespace is namespace admin", yaml: rb("a", "b", "ClusterRole", "cluster-admin", userDev)},
		{name: "system component", yaml: crb("b", "cluster-admin", kubeSystemS)},
		{name: "broad but not everything", yaml: clusterRole("r", "[{verbs: ['*'], apiGroups: [''], resources: ['*']}]") + crb("b", "r", userDev)},
	})
}
