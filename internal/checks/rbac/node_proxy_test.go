package rbac

import "testing"

func TestNodeProxy(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [get], apiGroups: [''], resources: [nodes/proxy]}", "{verbs: [get], apiGroups: [''], resources: [nodes/metrics, nodes/stats]}")
	runFixtures(t, NodeProxy, fixtures)
}
