package rbac

import "testing"

func TestPodExec(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [create], apiGroups: [''], resources: [pods/exec]}", "{verbs: [get], apiGroups: [''], resources: [pods/exec, pods/log]}")
	fixtures = append(fixtures,
		fixture{name: "ephemeral containers", yaml: clusterRole("r", "[{verbs: [patch], apiGroups: [''], resources: [pods/ephemeralcontainers]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "any exec subresource", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: ['*/exec']}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "pods/* matches no exec", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: ['pods/*']}]") + crb("b", "r", userDev)},
	)
	runFixtures(t, PodExec, fixtures)
}
