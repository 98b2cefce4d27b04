package rbac

import (
	"fmt"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

type fixture struct {
	name string
	yaml string
	want []string // checktest.Describe lines
}

func runFixtures(t *testing.T, c *check.Check, fixtures []fixture) {
	t.Helper()
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tt.yaml, nil, c), tt.want...)
		})
	}
}

// YAML builders; rules and subjects are YAML flow sequences.
func clusterRole(name, rules string) string {
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: %s}\nrules: %s\n---\n", name, rules)
}

func role(ns, name, rules string) string {
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: %s, namespace: %s}\nrules: %s\n---\n", name, ns, rules)
}

func crb(name, roleName, subjects string) string {
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}\nsubjects: %s\n---\n", name, roleName, subjects)
}

func rb(ns, name, kind, roleName, subjects string) string {
	return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: %s, namespace: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}\nsubjects: %s\n---\n", name, ns, kind, roleName, subjects)
}

func serviceAccount(ns, name, annotations string) string {
	if annotations == "" {
		annotations = "{}"
	}
	return fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s, namespace: %s, annotations: %s}\n---\n", name, ns, annotations)
}

func deployment(ns, name, sa, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: %s}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec: {serviceAccountName: %s, containers: [{name: c, image: x}]%s}
---
`, name, ns, name, name, sa, extra)
}

const (
	userDev     = "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: dev}]"
	systemUser  = "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: system:kube-scheduler}]"
	kubeSystemS = "[{kind: ServiceAccount, name: ctrl, namespace: kube-system}]"
)

// permissionFixtures are the cases every permission check shares: rule
// fires through a ClusterRoleBinding to a person, stays quiet when the role
// is bound only to system components, and fires (at low severity) on a role
// that no binding of the input uses.
func permissionFixtures(rule, harmless string) []fixture {
	return []fixture{
		{name: "bound to a user cluster-wide", yaml: clusterRole("r", "["+rule+"]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		{name: "second rule", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: [configmaps]}, "+rule+"]") + rb("a", "b", "ClusterRole", "r", userDev), want: []string{"ClusterRole/r rules[1]"}},
		{name: "role in a namespace", yaml: role("a", "r", "["+rule+"]") + rb("a", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]"}},
		{name: "bound only to system components", yaml: clusterRole("r", "["+rule+"]") + crb("b", "r", systemUser) + crb("c", "r", kubeSystemS)},
		{name: "not bound in the input", yaml: clusterRole("r", "["+rule+"]"), want: []string{"ClusterRole/r rules[0]"}},
		{name: "namespaced role not bound in the input", yaml: role("a", "r", "["+rule+"]"), want: []string{"Role/r rules[0]"}},
		{name: "harmless rule", yaml: clusterRole("r", "["+harmless+"]") + crb("b", "r", userDev)},
	}
}

// clusterScopedFixtures are permissionFixtures for rules on cluster-scoped
// resources (nodes, persistentvolumes, clusterroles, users): a RoleBinding
// never grants them, so a Role, or a ClusterRole bound only in a namespace,
// gives nobody anything.
func clusterScopedFixtures(rule, harmless string) []fixture {
	return []fixture{
		{name: "bound to a user cluster-wide", yaml: clusterRole("r", "["+rule+"]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		{name: "second rule", yaml: clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: [configmaps]}, "+rule+"]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[1]"}},
		{name: "a Role never grants it", yaml: role("a", "r", "["+rule+"]") + rb("a", "b", "Role", "r", userDev)},
		{name: "a RoleBinding to the ClusterRole never grants it", yaml: clusterRole("r", "["+rule+"]") + rb("a", "b", "ClusterRole", "r", userDev)},
		{name: "bound only to system components", yaml: clusterRole("r", "["+rule+"]") + crb("b", "r", systemUser) + crb("c", "r", kubeSystemS)},
		{name: "not bound in the input", yaml: clusterRole("r", "["+rule+"]"), want: []string{"ClusterRole/r rules[0]"}},
		{name: "a Role not bound in the input never grants it either", yaml: role("a", "r", "["+rule+"]")},
		{name: "harmless rule", yaml: clusterRole("r", "["+harmless+"]") + crb("b", "r", userDev)},
	}
}
