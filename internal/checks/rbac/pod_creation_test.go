package rbac

import "testing"

func TestPodCreation(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [apps], resources: [deployments]}", "{verbs: [patch, update], apiGroups: [''], resources: [pods]}")
	fixtures = append(fixtures,
		fixture{name: "pods", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: [pods]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "cronjobs", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [batch], resources: [cronjobs]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
	)
	runFixtures(t, PodCreation, fixtures)
}
