package rbac

import "testing"

func TestEventDeletion(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [deletecollection], apiGroups: [events.k8s.io], resources: [events]}", "{verbs: [create, patch], apiGroups: ['', events.k8s.io], resources: [events]}")
	runFixtures(t, EventDeletion, fixtures)
}
