package rbac

import (
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testModel() *Model {
	return Build(Input{
		ClusterRoles: []*rbacv1.ClusterRole{
			clusterRole("pod-reader", nil, "get,list|core|pods", "get|core|pods/log"),
			clusterRole("all", nil, "*|*|*", "*|URL:*"),
			clusterRole("metrics", nil, "get|URL:/metrics,/debug/*"),
			clusterRole("one-secret", nil, "get|core|secrets|db"),
		},
		Roles: []*rbacv1.Role{nsRole("a", "exec", "create|core|pods/exec")},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("admins", "all", "Group:ops"),
			crb("scrape", "metrics", "SA:mon:prom", "SA::nobody"),
		},
		RoleBindings: []*rbacv1.RoleBinding{
			rb("a", "read", "ClusterRole/pod-reader", "User:alice", "SA::builder"),
			rb("a", "exec", "Role/exec", "Group:system:serviceaccounts:b"),
			rb("b", "db", "ClusterRole/one-secret", "SA:a:builder"),
			rb("b", "ghost", "Role/missing", "User:alice"),
		},
	}, Options{})
}

func TestAllowed(t *testing.T) {
	m := testModel()
	alice := UserInfo{Name: "alice", Groups: []string{GroupAuthenticated}}
	builder := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "a", Name: "builder"})
	bsa := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "b", Name: "x"})
	for _, c := range []struct {
		name    string
		u       UserInfo
		a       Attributes
		want    bool
		binding string
	}{
		{"rolebinding to clusterrole in its namespace", alice, res("get", "", "pods", "a"), true, "RoleBinding a/read"},
		{"rolebinding does not reach other namespaces", alice, res("get", "", "pods", "b"), false, ""},
		{"rolebinding does not reach cluster-wide requests", alice, res("list", "", "pods", ""), false, ""},
		{"subresource needs its own rule", alice, res("create", "", "pods/exec", "a"), false, ""},
		{"subresource rule", alice, res("get", "", "pods/log", "a"), true, "RoleBinding a/read"},
		{"SA with empty namespace defaults to the binding's", builder, res("list", "", "pods", "a"), true, "RoleBinding a/read"},
		{"SA subject with namespace in another namespace's binding", builder, res("get", "", "secrets", "b"), false, ""},
		{"resourceNames match the name", builder, Attributes{Verb: "get", Resource: "secrets", Name: "db", Namespace: "b"}, true, "RoleBinding b/db"},
		{"resourceNames do not match list", builder, Attributes{Verb: "list", Resource: "secrets", Namespace: "b"}, false, ""},
		{"namespace group", bsa, res("create", "", "pods/exec", "a"), true, "RoleBinding a/exec"},
		{"group grants cluster-wide", UserInfo{Name: "bob", Groups: []string{"ops"}}, res("delete", "", "nodes", ""), true, "ClusterRoleBinding admins"},
		{"non-resource exact", UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "mon", Name: "prom"}), Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, true, "ClusterRoleBinding scrape"},
		{"non-resource prefix", UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "mon", Name: "prom"}), Attributes{Verb: "get", NonResource: true, Path: "/debug/pprof"}, true, "ClusterRoleBinding scrape"},
		{"CRB SA subject without namespace matches nobody", UserInfo{Name: "system:serviceaccount::nobody"}, Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, false, ""},
		{"user named like a SA is that SA", UserInfo{Name: "system:serviceaccount:mon:prom"}, Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, true, "ClusterRoleBinding scrape"},
		{"system:masters", UserInfo{Name: "x", Groups: []string{GroupMasters}}, res("escalate", "rbac.authorization.k8s.io", "clusterroles", ""), true, "PrivilegedGroup system:masters"},
		{"no implicit groups", UserInfo{Name: "bob"}, res("get", "", "pods", "a"), false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := m.Allowed(c.u, c.a)
			if d.Allowed != c.want {
				t.Fatalf("Allowed(%v, %v) = %v, want %v", c.u, c.a, d.Allowed, c.want)
			}
			if c.want && d.Grant.Binding.String() != c.binding {
				t.Errorf("granted by %v, want %s", d.Grant.Binding, c.binding)
			}
			if !c.want && d.Grant != nil {
				t.Errorf("denied with a grant %v", d.Grant)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	m := Build(Input{
		ClusterRoles: []*rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Rules: []rbacv1.PolicyRule{
			{Resources: []string{"pods"}, APIGroups: []string{""}},
			{Verbs: []string{"get"}, Resources: []string{"pods"}},
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/x"}, Resources: []string{"pods"}},
		}}},
		Roles: []*rbacv1.Role{nsRole("a", "r", "get|URL:/x")},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("missing", "nope", "User:a"),
			crb("kinds", "bad", "Robot:r2", "SA::x", "User:"),
			{ObjectMeta: metav1.ObjectMeta{Name: "rolekind"}, RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"}},
		},
		RoleBindings: []*rbacv1.RoleBinding{rb("a", "weird", "Policy/x", "User:a")},
	}, Options{})
	var got []string
	for _, p := range m.Problems() {
		got = append(got, p.String())
	}
	for _, want := range []string{
		"ClusterRole bad: rules[0].verbs: verbs must contain",
		"ClusterRole bad: rules[1].apiGroups: resource rules must supply",
		"ClusterRole bad: rules[2].nonResourceURLs: a rule cannot apply to both",
		"Role a/r: rules[0].nonResourceURLs: a Role cannot grant non-resource URLs",
		`ClusterRoleBinding missing: roleRef.name: ClusterRole "nope" not found`,
		`ClusterRoleBinding kinds: subjects[0].kind: unknown subject kind "Robot"`,
		"ClusterRoleBinding kinds: subjects[1].namespace: a ServiceAccount subject of a ClusterRoleBinding needs a namespace",
		"ClusterRoleBinding kinds: subjects[2].name: empty subject name",
		"ClusterRoleBinding rolekind: roleRef.kind: a ClusterRoleBinding can only refer to a ClusterRole",
		`RoleBinding a/weird: roleRef.kind: unsupported role kind "Policy"`,
	} {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing problem %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	// Nothing here grants anything, and asking does not panic.
	if d := m.Allowed(UserInfo{Name: "a"}, res("get", "", "pods", "a")); d.Allowed {
		t.Errorf("allowed by %v", d.Grant)
	}
}

func TestAggregation(t *testing.T) {
	agg := func(name string, sel ...map[string]string) *rbacv1.ClusterRole {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, AggregationRule: &rbacv1.AggregationRule{}}
		for _, s := range sel {
			cr.AggregationRule.ClusterRoleSelectors = append(cr.AggregationRule.ClusterRoleSelectors, metav1.LabelSelector{MatchLabels: s})
		}
		return cr
	}
	top := agg("top", map[string]string{"to-top": "true"})
	top.Rules = rules("delete|*|*") // stale rules in a manifest are replaced, as the controller does
	mid := agg("mid", map[string]string{"to-mid": "true"})
	mid.Labels = map[string]string{"to-top": "true"}
	m := Build(Input{ClusterRoles: []*rbacv1.ClusterRole{
		top, mid,
		clusterRole("b-src", map[string]string{"to-mid": "true"}, "get|core|pods", "list|core|pods"),
		clusterRole("a-src", map[string]string{"to-mid": "true", "to-top": "true"}, "list|core|pods", "get|apps|deployments"),
		clusterRole("other", map[string]string{"to-mid": "false"}, "*|*|*"),
	}}, Options{})
	want := map[string][]rbacv1.PolicyRule{
		// selected roles sorted by name, rules de-duplicated in order
		"mid": rules("list|core|pods", "get|apps|deployments", "get|core|pods"),
		// a-src < mid: a-src's rules first, then mid's new ones
		"top": rules("list|core|pods", "get|apps|deployments", "get|core|pods"),
	}
	for name, w := range want {
		if got := m.clusterRoles[name].rules; !reflect.DeepEqual(got, w) {
			t.Errorf("%s rules = %v, want %v", name, got, w)
		}
	}
	if got := m.clusterRoles["top"].from; !reflect.DeepEqual(got, []string{"a-src", "a-src", "mid"}) {
		t.Errorf("top from = %v", got)
	}

	// Stored aggregation (a live cluster) is taken as is.
	top2 := agg("top", map[string]string{"to-top": "true"})
	top2.Rules = rules("delete|*|*")
	m2 := Build(Input{ClusterRoles: []*rbacv1.ClusterRole{top2, clusterRole("x", map[string]string{"to-top": "true"}, "get|core|pods")}}, Options{StoredAggregation: true})
	if got := m2.clusterRoles["top"].rules; !reflect.DeepEqual(got, rules("delete|*|*")) {
		t.Errorf("stored rules replaced: %v", got)
	}

	// Empty selector selects every other ClusterRole; a cycle is reported.
	c1 := agg("c1", map[string]string{"c": "2"})
	c1.Labels = map[string]string{"c": "1"}
	c2 := agg("c2", map[string]string{"c": "1"})
	c2.Labels = map[string]string{"c": "2"}
	c2.Rules = rules("get|core|pods")
	every := agg("every", map[string]string{})
	m3 := Build(Input{ClusterRoles: []*rbacv1.ClusterRole{c1, c2, every, clusterRole("z", nil, "list|core|nodes")}}, Options{})
	if n := len(m3.clusterRoles["every"].rules); n == 0 {
		t.Error("empty selector selected nothing")
	}
	bad := agg("bad")
	bad.AggregationRule.ClusterRoleSelectors = []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Bogus"}}}}
	bad.Rules = rules("get|core|pods")
	m4 := Build(Input{ClusterRoles: []*rbacv1.ClusterRole{bad}}, Options{})
	if len(m4.Problems()) == 0 || len(m4.clusterRoles["bad"].rules) != 1 {
		t.Errorf("invalid selector: problems %v, rules %v", m4.Problems(), m4.clusterRoles["bad"].rules)
	}
}

func TestWhoCan(t *testing.T) {
	m := testModel()
	got := m.WhoCan(res("get", "", "pods", "a"))
	var names []string
	for _, sg := range got {
		names = append(names, sg.Subject.String())
	}
	want := []string{"Group ops", "Group system:masters", "User alice", "ServiceAccount a/builder"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("WhoCan = %v, want %v", names, want)
	}
	got = m.WhoCan(res("get", "", "pods", ""))
	names = nil
	for _, sg := range got {
		names = append(names, sg.Subject.String())
	}
	if want := []string{"Group ops", "Group system:masters"}; !reflect.DeepEqual(names, want) {
		t.Errorf("cluster-wide WhoCan = %v, want %v", names, want)
	}
}

func TestPermissions(t *testing.T) {
	m := testModel()
	ps := m.Permissions(UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "a", Name: "builder"}))
	var got []string
	for _, g := range ps {
		got = append(got, g.Binding.String()+" "+RuleString(&g.Rule))
	}
	want := []string{
		"RoleBinding a/read {verbs=get,list apiGroups=\"\" resources=pods}",
		"RoleBinding a/read {verbs=get apiGroups=\"\" resources=pods/log}",
		"RoleBinding b/db {verbs=get apiGroups=\"\" resources=secrets resourceNames=db}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Permissions =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ps[0].Subject != (Subject{Kind: KindServiceAccount, Namespace: "a", Name: "builder"}) || ps[0].SubjectIndex != 1 {
		t.Errorf("grant names subject %v index %d", ps[0].Subject, ps[0].SubjectIndex)
	}
}
