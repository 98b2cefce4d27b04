package rbac

import "testing"

func TestDestructive(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [delete], apiGroups: [apps], resources: [deployments]}", "{verbs: [get, list, create], apiGroups: [apps], resources: [deployments]}")
	fixtures = append(fixtures,
		// Trivy's KSV042 shape.
		fixture{name: "delete on pods/log", yaml: role("a", "r", "[{verbs: [deletecollection], apiGroups: [''], resources: [pods/log]}]") + rb("a", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]"}},
		fixture{name: "secrets through pods/* and secrets", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: [pods/*]}, {verbs: [delete], apiGroups: [''], resources: [secrets]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[1]"}},
		fixture{name: "delete on configmaps is not in the list", yaml: clusterRole("r", "[{verbs: [delete], apiGroups: [''], resources: [configmaps, events]}]") + crb("b", "r", userDev)},
	)
	runFixtures(t, Destructive, fixtures)
}
