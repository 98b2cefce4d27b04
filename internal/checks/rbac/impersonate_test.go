package rbac

import "testing"

func TestImpersonate(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [impersonate], apiGroups: [''], resources: [users, groups]}", "{verbs: [impersonate], apiGroups: [example.com], resources: [widgets]}")
	runFixtures(t, Impersonate, fixtures)
}
