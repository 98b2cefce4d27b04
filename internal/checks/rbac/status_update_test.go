package rbac

import "testing"

func TestStatusUpdate(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [patch], apiGroups: [''], resources: [nodes/status]}", "{verbs: [get], apiGroups: [''], resources: [pods/status, nodes/status]}")
	runFixtures(t, StatusUpdate, fixtures)
}
