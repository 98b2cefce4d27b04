package rbac

import "testing"

func TestEscalateBind(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [escalate], apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles]}", "{verbs: [create, update], apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings]}")
	fixtures = append(fixtures,
		fixture{name: "bind roles", yaml: role("a", "r", "[{verbs: [bind], apiGroups: [rbac.authorization.k8s.io], resources: [roles]}]") + rb("a", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]"}},
	)
	runFixtures(t, EscalateBind, fixtures)
}
