package rbac

import "testing"

func TestWildcard(t *testing.T) {
	fixtures := permissionFixtures("{verbs: ['*'], apiGroups: [apps], resources: [deployments]}", "{verbs: [get, list, watch], apiGroups: [apps], resources: [deployments, statefulsets]}")
	fixtures = append(fixtures,
		fixture{name: "every resource", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: ['*']}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "bound to system:masters only", yaml: clusterRole("r", "[{verbs: ['*'], apiGroups: ['*'], resources: ['*']}]") + crb("b", "r", "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}]")},
		fixture{name: "cluster-admin through a ClusterRoleBinding is rbac-cluster-admin-binding's", yaml: crb("b", "cluster-admin", userDev)},
		fixture{name: "cluster-admin in a namespace", yaml: rb("a", "b", "ClusterRole", "cluster-admin", userDev), want: []string{"RoleBinding/b roleRef.name"}},
	)
	runFixtures(t, Wildcard, fixtures)
}
