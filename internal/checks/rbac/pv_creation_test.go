package rbac

import "testing"

func TestPVCreation(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [create], apiGroups: [''], resources: [persistentvolumes]}", "{verbs: [create], apiGroups: [''], resources: [persistentvolumeclaims]}")
	runFixtures(t, PVCreation, fixtures)
}
