package rbac

import "testing"

func TestNamespaceModification(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [''], resources: [namespaces]}", "{verbs: [get, list, create], apiGroups: [''], resources: [namespaces]}")
	runFixtures(t, NamespaceModification, fixtures)
}
