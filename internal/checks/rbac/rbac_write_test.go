package rbac

import "testing"

func TestRBACWrite(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings]}", "{verbs: [get, list, watch], apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings]}")
	fixtures = append(fixtures,
		// Trivy's KSV050 shape: any group, create on roles.
		fixture{name: "create roles through apiGroups *", yaml: role("default", "pod-reader", "[{verbs: [create], apiGroups: ['*'], resources: [roles]}]") + rb("default", "b", "Role", "pod-reader", userDev), want: []string{"Role/pod-reader rules[0]"}},
		fixture{name: "a look-alike resource", yaml: role("default", "r", "[{verbs: ['*'], apiGroups: ['*'], resources: [rolebindings1]}]") + rb("default", "b", "Role", "r", userDev)},
	)
	runFixtures(t, RBACWrite, fixtures)
}
