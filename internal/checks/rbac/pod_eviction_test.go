package rbac

import "testing"

func TestPodEviction(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [create], apiGroups: [''], resources: [pods/eviction]}", "{verbs: [delete], apiGroups: [''], resources: [pods]}")
	runFixtures(t, PodEviction, fixtures)
}
