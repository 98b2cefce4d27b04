package rbac

import "testing"

func TestSecretsRead(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [list], apiGroups: [''], resources: [secrets]}", "{verbs: [get, list], apiGroups: [''], resources: [configmaps]}")
	fixtures = append(fixtures,
		fixture{name: "edit through a RoleBinding (aggregated rule of a bootstrap role)", yaml: rb("a", "devs", "ClusterRole", "edit", userDev), want: []string{"RoleBinding/devs roleRef.name"}},
		fixture{name: "wildcard groups and resources", yaml: clusterRole("r", "[{verbs: [watch], apiGroups: ['*'], resources: ['*']}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "secrets of another group", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [example.com], resources: [secrets]}]") + crb("b", "r", userDev)},
		fixture{name: "full wildcard is left to rbac-wildcard", yaml: clusterRole("r", "[{verbs: ['*'], apiGroups: [''], resources: ['*']}]") + crb("b", "r", userDev)},
	)
	runFixtures(t, SecretsRead, fixtures)
}
