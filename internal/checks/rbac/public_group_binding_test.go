package rbac

import "testing"

func TestPublicGroupBinding(t *testing.T) {
	const anon = "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: system:anonymous}]"
	const authed = "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:authenticated}]"
	const unauth = "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:unauthenticated}]"
	readCM := clusterRole("info", "[{verbs: [get], apiGroups: [''], resources: [configmaps], resourceNames: [info]}]")
	runFixtures(t, PublicGroupBinding, []fixture{
		{name: "anonymous can read", yaml: readCM + crb("b", "info", anon), want: []string{"ClusterRoleBinding/b subjects[0]"}},
		{name: "unauthenticated in a namespace", yaml: readCM + rb("a", "b", "ClusterRole", "info", unauth), want: []string{"RoleBinding/b subjects[0]"}},
		{name: "all authenticated may create pods", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: [pods]}]") + crb("b", "r", authed), want: []string{"ClusterRoleBinding/b subjects[0]"}},
		{name: "all authenticated read Secrets", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: [secrets]}]") + crb("b", "r", authed), want: []string{"ClusterRoleBinding/b subjects[0]"}},
		{name: "all authenticated read public info", yaml: readCM + crb("b", "info", authed)},
		{name: "role that grants nothing", yaml: clusterRole("empty", "[]") + crb("b", "empty", anon)},
		{name: "named groups", yaml: readCM + crb("b", "info", "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}]")},
	})
}
