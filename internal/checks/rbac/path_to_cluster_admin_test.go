package rbac

import "testing"

func TestPathToClusterAdmin(t *testing.T) {
	boss := crb("boss", "cluster-admin", "[{kind: ServiceAccount, name: boss, namespace: ops}]") + serviceAccount("ops", "boss", "")
	runFixtures(t, PathToClusterAdmin, []fixture{
		{name: "create deployments where an admin account lives", yaml: boss +
			role("ops", "deployer", "[{verbs: [create], apiGroups: [apps], resources: [deployments]}]") + rb("ops", "dev", "Role", "deployer", userDev),
			want: []string{"RoleBinding/dev subjects[0]"}},
		{name: "mint a token for the admin account", yaml: boss +
			role("ops", "minter", "[{verbs: [create], apiGroups: [''], resources: [serviceaccounts/token], resourceNames: [boss]}]") + rb("ops", "dev", "Role", "minter", userDev),
			want: []string{"RoleBinding/dev subjects[0]"}},
		{name: "create deployments elsewhere", yaml: boss +
			role("apps", "deployer", "[{verbs: [create], apiGroups: [apps], resources: [deployments]}]") + rb("apps", "dev", "Role", "deployer", userDev)},
		{name: "directly cluster-admin is reported by rbac-cluster-admin-binding", yaml: boss},
		{name: "system component", yaml: boss + crb("sched", "cluster-admin", systemUser)},
	})
}
