package detect

import (
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/check"
)

const rbacGroup = "rbac.authorization.k8s.io"

func writeRole(user, verb, resource, ns, name, rules string) *audittest.E {
	return ev(user, verb).On(rbacGroup, resource, ns, name).Req(`{"metadata":{"name":"` + name + `"},"rules":` + rules + `}`)
}

func TestSystemRoleModified(t *testing.T) {
	runRule(t, "system-role-modified", []ruleCase{
		{name: "patch system:node", events: []*audittest.E{ev(alice, "patch").On(rbacGroup, "clusterroles", "", "system:node")}, fire: []int{0}, sev: check.Medium},
		{name: "delete is high", events: []*audittest.E{ev(alice, "delete").On(rbacGroup, "clusterroles", "", "system:kube-scheduler")}, fire: []int{0}, sev: check.High},
		{name: "api server reconciles", events: []*audittest.E{ev("system:apiserver", "update").On(rbacGroup, "clusterroles", "", "system:node").Groups("system:masters")}},
		{name: "non-system role", events: []*audittest.E{ev(alice, "patch").On(rbacGroup, "clusterroles", "", "edit")}},
		{name: "creation is other rules' business", events: []*audittest.E{ev(alice, "create").On(rbacGroup, "clusterroles", "", "system:x")}},
		{name: "namespaced system role", events: []*audittest.E{ev(alice, "update").On(rbacGroup, "roles", "kube-system", "system:controller:bootstrap-signer")}, fire: []int{0}},
	})
}

func TestClusterAdminBinding(t *testing.T) {
	binding := func(res, ns, subjects string) *audittest.E {
		return ev(alice, "create").On(rbacGroup, res, ns, "b").
			Req(`{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":` + subjects + `}`)
	}
	runRule(t, "cluster-admin-binding", []ruleCase{
		{name: "cluster role binding to a user", events: []*audittest.E{binding("clusterrolebindings", "", `[{"kind":"User","name":"mallory"}]`)},
			fire: []int{0}, sev: check.High, detail: [2]string{"subjects", "User:mallory"}},
		{name: "to everyone is critical", events: []*audittest.E{binding("clusterrolebindings", "", `[{"kind":"Group","name":"system:authenticated"}]`)},
			fire: []int{0}, sev: check.Critical},
		{name: "role binding to cluster-admin in a namespace", events: []*audittest.E{binding("rolebindings", "dev", `[{"kind":"ServiceAccount","name":"x","namespace":"dev"}]`)},
			fire: []int{0}, detail: [2]string{"", "in namespace dev"}},
		{name: "other role", events: []*audittest.E{ev(alice, "create").On(rbacGroup, "clusterrolebindings", "", "b").
			Req(`{"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"x"}]}`)}},
		{name: "bootstrap by the API server", events: []*audittest.E{func() *audittest.E {
			e := binding("clusterrolebindings", "", `[{"kind":"Group","name":"system:masters"}]`)
			e.User.Username = "system:apiserver"
			return e
		}()}},
		{name: "denied", events: []*audittest.E{binding("clusterrolebindings", "", `[{"kind":"User","name":"m"}]`).Code(403)}},
	})
}

func TestRoleRules(t *testing.T) {
	runRule(t, "role-wildcard", []ruleCase{
		{name: "wildcard verbs", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":[""],"resources":["pods"],"verbs":["*"]}]`)},
			fire: []int{0}, detail: [2]string{"rules", "[*] pods"}},
		{name: "wildcard resources in a Role", events: []*audittest.E{writeRole(alice, "update", "roles", "dev", "r", `[{"apiGroups":["apps"],"resources":["*"],"verbs":["get"]}]`)},
			fire: []int{0}, detail: [2]string{"", "Role dev/r"}},
		{name: "non-resource wildcard", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"nonResourceURLs":["*"],"verbs":["get"]}]`)}, fire: []int{0}},
		{name: "explicit", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]`)}},
		{name: "aggregation controller", events: []*audittest.E{writeRole("system:serviceaccount:kube-system:clusterrole-aggregation-controller", "update", "clusterroles", "", "admin", `[{"apiGroups":[""],"resources":["*"],"verbs":["*"]}]`)}},
	})
	runRule(t, "role-write-verbs", []ruleCase{
		{name: "write verbs", events: []*audittest.E{writeRole(alice, "create", "roles", "dev", "r", `[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","patch"]}]`)}, fire: []int{0}, sev: check.Low},
		{name: "read only", events: []*audittest.E{writeRole(alice, "create", "roles", "dev", "r", `[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list","watch"]}]`)}},
		{name: "wildcard left to role-wildcard", events: []*audittest.E{writeRole(alice, "create", "roles", "dev", "r", `[{"apiGroups":[""],"resources":["configmaps"],"verbs":["*"]}]`)}},
	})
	runRule(t, "role-exec-rights", []ruleCase{
		{name: "pods/exec", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":[""],"resources":["pods","pods/exec"],"verbs":["create"]}]`)}, fire: []int{0}},
		{name: "pods/* ", events: []*audittest.E{writeRole(alice, "patch", "roles", "dev", "r", `[{"apiGroups":["*"],"resources":["pods/*"],"verbs":["get"]}]`)}, fire: []int{0}},
		{name: "pods/log", events: []*audittest.E{writeRole(alice, "create", "roles", "dev", "r", `[{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}]`)}},
		{name: "other group's pods/exec", events: []*audittest.E{writeRole(alice, "create", "roles", "dev", "r", `[{"apiGroups":["metrics.k8s.io"],"resources":["pods/exec"],"verbs":["get"]}]`)}},
	})
	runRule(t, "role-escalation-verbs", []ruleCase{
		{name: "impersonate", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":[""],"resources":["users"],"verbs":["impersonate"]}]`)}, fire: []int{0}, sev: check.High},
		{name: "bind and escalate", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["bind","escalate"]}]`)}, fire: []int{0}},
		{name: "none", events: []*audittest.E{writeRole(alice, "create", "clusterroles", "", "r", `[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]`)}},
	})
}
