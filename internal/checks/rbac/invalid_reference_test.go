package rbac

import "testing"

func TestInvalidReference(t *testing.T) {
	runFixtures(t, InvalidReference, []fixture{
		{name: "binding to a missing role", yaml: rb("a", "b", "Role", "nope", userDev), want: []string{"RoleBinding/b roleRef.name"}},
		{name: "misspelt resource", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [apps], resources: [deployment]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0].resources"}},
		{name: "misspelt group", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [app], resources: [deployments]}]"), want: []string{"ClusterRole/r rules[0].apiGroups"}},
		{name: "resource/* matches no subresource", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: ['pods/*']}]"), want: []string{"ClusterRole/r rules[0].resources"}},
		{name: "rule without verbs", yaml: clusterRole("r", "[{apiGroups: [''], resources: [pods]}]"), want: []string{"ClusterRole/r rules[0].verbs"}},
		{name: "unknown subject kind", yaml: crb("b", "view", "[{kind: Robot, name: r2}]"), want: []string{"ClusterRoleBinding/b subjects[0].kind"}},
		{name: "bootstrap role", yaml: rb("a", "b", "ClusterRole", "view", userDev)},
		{name: "custom resources of a group the scan does not define", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [monitoring.coreos.com], resources: [prometheuses]}]")},
		{name: "removed resource", yaml: clusterRole("r", "[{verbs: [use], apiGroups: [policy], resources: [podsecuritypolicies]}]")},
	})
}
