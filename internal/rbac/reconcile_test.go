package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func protect[T interface{ SetAnnotations(map[string]string) }](o T) T {
	o.SetAnnotations(map[string]string{rbacv1.AutoUpdateAnnotationKey: "false"})
	return o
}

func problemOf(m *Model, ref ObjectRef) string {
	for _, p := range m.Problems() {
		if p.Object == ref {
			return p.Message
		}
	}
	return ""
}

// A manifest that redefines a bootstrap role or binding is what the API
// server reconciles at its next start (k8s.io/component-helpers/auth/rbac/
// reconciliation, union mode): bindings are judged with what it will hold.
// TestReconciliationMatchesAPIServer checks the same against a restarted
// real API server.
func TestBootstrapReconciliation(t *testing.T) {
	alice := UserInfoFor(Subject{Kind: KindUser, Name: "alice"})
	bob := UserInfoFor(Subject{Kind: KindUser, Name: "bob"})
	carol := UserInfoFor(Subject{Kind: KindUser, Name: "carol"})
	dave := UserInfoFor(Subject{Kind: KindUser, Name: "dave"})
	tests := []struct {
		name    string
		in      Input
		user    UserInfo
		req     Attributes
		allowed bool
		// restored: the deciding rule is one the API server adds back
		restored bool
		// problem must occur in the message about ref ("" none)
		ref     ObjectRef
		problem string
	}{
		{
			name: "cluster-admin with fewer rules gets */*/* back",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("cluster-admin", nil, "get|core|pods")},
				ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("ops", "cluster-admin", "User:alice")}},
			user: alice, req: res("delete", "", "secrets", "prod"), allowed: true, restored: true,
			ref: ObjectRef{Kind: "ClusterRole", Name: "cluster-admin"}, problem: "adds back 2 rule(s)",
		},
		{
			name: "its own rule is not restored",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("cluster-admin", nil, "get|core|pods")},
				ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("ops", "cluster-admin", "User:alice")}},
			user: alice, req: res("get", "", "pods", "prod"), allowed: true,
		},
		{
			name: "autoupdate false keeps it as written",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{protect(clusterRole("cluster-admin", nil, "get|core|pods"))},
				ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("ops", "cluster-admin", "User:alice")}},
			user: alice, req: res("delete", "", "secrets", "prod"), allowed: false,
			ref: ObjectRef{Kind: "ClusterRole", Name: "cluster-admin"}, problem: "keeps it as written",
		},
		{
			name: "extra rules of a bootstrap role stay (union, not replace)",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("system:basic-user", nil, "get|core|secrets")},
				ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("x", "system:basic-user", "User:bob")}},
			user: bob, req: res("get", "", "secrets", "prod"), allowed: true,
		},
		{
			name: "edit without its aggregationRule gets it back, and with it the aggregated rules",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("edit", nil, "get|core|pods")},
				RoleBindings: []*rbacv1.RoleBinding{rb("shop", "devs", "ClusterRole/edit", "User:carol")}},
			user: carol, req: res("create", "apps", "deployments", "shop"), allowed: true, restored: true,
			ref: ObjectRef{Kind: "ClusterRole", Name: "edit"}, problem: "aggregationRule selector",
		},
		{
			name: "edit gets its aggregate-to-admin label back, so admin still holds its rules",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("edit", nil, "get|core|pods")},
				RoleBindings: []*rbacv1.RoleBinding{rb("shop", "leads", "ClusterRole/admin", "User:carol")}},
			user: carol, req: res("create", "apps", "deployments", "shop"), allowed: true,
			ref: ObjectRef{Kind: "ClusterRole", Name: "edit"}, problem: "rbac.authorization.k8s.io/aggregate-to-admin=true",
		},
		{
			name: "a bootstrap binding gets its subjects back",
			in:   Input{ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("system:basic-user", "system:basic-user", "User:dave")}},
			user: UserInfo{Name: "eve", Groups: []string{GroupAuthenticated}}, req: res("create", "authorization.k8s.io", "selfsubjectaccessreviews", ""), allowed: true,
			ref: ObjectRef{Kind: "ClusterRoleBinding", Name: "system:basic-user"}, problem: "adds back subject(s) Group system:authenticated",
		},
		{
			name: "a bootstrap binding to another role is replaced by the bootstrap binding",
			in:   Input{ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("cluster-admin", "view", "User:dave")}},
			user: dave, req: res("get", "", "pods", "prod"), allowed: false,
			ref: ObjectRef{Kind: "ClusterRoleBinding", Name: "cluster-admin"}, problem: "replaces it with the bootstrap binding (roleRef ClusterRole cluster-admin, subjects Group system:masters)",
		},
		{
			name: "a namespaced bootstrap Role is reconciled too",
			in: Input{Roles: []*rbacv1.Role{nsRole("kube-system", "extension-apiserver-authentication-reader", "get|core|pods")},
				RoleBindings: []*rbacv1.RoleBinding{rb("kube-system", "reader", "Role/extension-apiserver-authentication-reader", "User:bob")}},
			user: bob, req: Attributes{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "extension-apiserver-authentication"}, allowed: true, restored: true,
			ref: ObjectRef{Kind: "Role", Namespace: "kube-system", Name: "extension-apiserver-authentication-reader"}, problem: "adds back 3 rule(s)",
		},
		{
			name: "a role that equals its bootstrap role is not reported",
			in: Input{ClusterRoles: []*rbacv1.ClusterRole{clusterRole("system:basic-user", nil,
				"create|authorization.k8s.io|selfsubjectaccessreviews,selfsubjectrulesreviews",
				"create|authentication.k8s.io|selfsubjectreviews")}},
			user: bob, req: res("create", "authentication.k8s.io", "selfsubjectreviews", ""), allowed: true,
			ref: ObjectRef{Kind: "ClusterRole", Name: "system:basic-user"}, problem: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := WithBootstrap(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			m := Build(in, Options{})
			d := m.Allowed(tc.user, tc.req)
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v (%+v)", d.Allowed, tc.allowed, d.Grant)
			}
			if d.Allowed && d.Grant.Restored != tc.restored {
				t.Errorf("grant %s: restored = %v, want %v", d.Grant, d.Grant.Restored, tc.restored)
			}
			if tc.ref.Kind != "" {
				got := problemOf(m, tc.ref)
				if tc.problem == "" && got != "" || !strings.Contains(got, tc.problem) {
					t.Errorf("problem of %s = %q, want it to contain %q", tc.ref, got, tc.problem)
				}
			}
		})
	}
}

// The written input is not changed by reconciliation (it is the scan's).
func TestBootstrapReconciliationKeepsInput(t *testing.T) {
	cr := clusterRole("cluster-admin", nil, "get|core|pods")
	if _, err := WithBootstrap(Input{ClusterRoles: []*rbacv1.ClusterRole{cr}}); err != nil {
		t.Fatal(err)
	}
	if len(cr.Rules) != 1 || cr.Annotations != nil || cr.Labels != nil {
		t.Errorf("input changed: %+v", cr)
	}
}
