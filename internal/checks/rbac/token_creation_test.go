package rbac

import "testing"

func TestTokenCreation(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [create], apiGroups: [''], resources: [serviceaccounts/token]}", "{verbs: [get], apiGroups: [''], resources: [serviceaccounts, serviceaccounts/token]}")
	fixtures = append(fixtures,
		fixture{name: "secret creation", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: [secrets]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
	)
	runFixtures(t, TokenCreation, fixtures)
}
