package rbac

import (
	"fmt"
	"math/rand/v2"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// bigWorld has 10,000 bindings (2,000 ClusterRoleBindings, 8,000
// RoleBindings over 200 namespaces) on top of the bootstrap roles.
func bigWorld() Input {
	r := rand.New(rand.NewPCG(42, 42))
	var in Input
	for i := range 500 {
		in.ClusterRoles = append(in.ClusterRoles, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr%d", i)},
			Rules: []rbacv1.PolicyRule{randRule(r, true), randRule(r, false), randRule(r, false)}})
	}
	for i := range 1000 {
		in.Roles = append(in.Roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("ns%d", i%200), Name: fmt.Sprintf("role%d", i)},
			Rules: []rbacv1.PolicyRule{randRule(r, false), randRule(r, false)}})
	}
	subj := func() rbacv1.Subject {
		switch r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user%d", r.IntN(5000))}
		case 1:
			return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group%d", r.IntN(200))}
		}
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: fmt.Sprintf("ns%d", r.IntN(200)), Name: fmt.Sprintf("sa%d", r.IntN(20))}
	}
	for i := range 2000 {
		in.ClusterRoleBindings = append(in.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb%d", i)},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", r.IntN(500))},
			Subjects: []rbacv1.Subject{subj(), subj()}})
	}
	for i := range 8000 {
		ns := fmt.Sprintf("ns%d", i%200)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", r.IntN(500))}
		if r.IntN(2) == 0 {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role%d", (r.IntN(5)*200)+i%200)}
		}
		in.RoleBindings = append(in.RoleBindings, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("rb%d", i)},
			RoleRef: ref, Subjects: []rbacv1.Subject{subj(), subj()}})
	}
	out, err := WithBootstrap(in)
	if err != nil {
		panic(err)
	}
	return out
}

var benchQuestion = Question{
	User:       UserInfo{Name: "user17", Groups: []string{"group3", "group9", GroupAuthenticated}},
	Attributes: Attributes{Verb: "get", Resource: "secrets", Namespace: "ns17"},
}

// naiveAllowed is the baseline: the upstream authorizer's visitor, a scan
// of every ClusterRoleBinding and every RoleBinding of the namespace.
func naiveAllowed(in *Input, u UserInfo, a Attributes) bool {
	crs := map[string]*rbacv1.ClusterRole{}
	_ = crs
	match := func(subjects []rbacv1.Subject, ns string) bool {
		for _, s := range subjects {
			switch s.Kind {
			case "User":
				if s.Name == u.Name {
					return true
				}
			case "Group":
				if hasString(u.Groups, s.Name) {
					return true
				}
			case "ServiceAccount":
				n := s.Namespace
				if n == "" {
					n = ns
				}
				if n != "" && ServiceAccountUsername(n, s.Name) == u.Name {
					return true
				}
			}
		}
		return false
	}
	rulesOf := func(ref rbacv1.RoleRef, ns string) []rbacv1.PolicyRule {
		if ref.Kind == "ClusterRole" {
			for _, cr := range in.ClusterRoles {
				if cr.Name == ref.Name {
					return cr.Rules
				}
			}
			return nil
		}
		for _, r := range in.Roles {
			if r.Namespace == ns && r.Name == ref.Name {
				return r.Rules
			}
		}
		return nil
	}
	for _, b := range in.ClusterRoleBindings {
		if match(b.Subjects, "") {
			for _, r := range rulesOf(b.RoleRef, "") {
				if RuleAllows(&a, &r) {
					return true
				}
			}
		}
	}
	if a.Namespace == "" {
		return false
	}
	for _, b := range in.RoleBindings {
		if b.Namespace == a.Namespace && match(b.Subjects, a.Namespace) {
			for _, r := range rulesOf(b.RoleRef, a.Namespace) {
				if RuleAllows(&a, &r) {
					return true
				}
			}
		}
	}
	return false
}

func BenchmarkRBAC10kBindings(b *testing.B) {
	in := bigWorld()
	m := Build(in, Options{})
	if n := len(in.ClusterRoleBindings) + len(in.RoleBindings); n < 10000 {
		b.Fatalf("only %d bindings", n)
	}
	if got, want := m.Allowed(benchQuestion.User, benchQuestion.Attributes).Allowed, naiveAllowed(&in, benchQuestion.User, benchQuestion.Attributes); got != want {
		b.Fatalf("indexed %v, naive %v", got, want)
	}
	b.Run("baseline-naive-scan", func(b *testing.B) {
		for b.Loop() {
			naiveAllowed(&in, benchQuestion.User, benchQuestion.Attributes)
		}
	})
	b.Run("build-index", func(b *testing.B) {
		for b.Loop() {
			Build(in, Options{})
		}
	})
	b.Run("allowed", func(b *testing.B) {
		for b.Loop() {
			m.Allowed(benchQuestion.User, benchQuestion.Attributes)
		}
	})
	b.Run("who-can-namespaced", func(b *testing.B) {
		for b.Loop() {
			m.WhoCan(benchQuestion.Attributes)
		}
	})
	b.Run("who-can-cluster-wide", func(b *testing.B) {
		a := Attributes{Verb: "list", Resource: "secrets"}
		for b.Loop() {
			m.WhoCan(a)
		}
	})
	b.Run("permissions-user", func(b *testing.B) {
		for b.Loop() {
			m.Permissions(benchQuestion.User)
		}
	})
	b.Run("permissions-service-account", func(b *testing.B) {
		u := UserInfoFor(Subject{Kind: KindServiceAccount, Namespace: "ns17", Name: "sa3"})
		for b.Loop() {
			m.Permissions(u)
		}
	})
	b.Run("escalation-graph", func(b *testing.B) {
		for b.Loop() {
			m.Escalation()
		}
	})
}

// The indexed model and the naive scan agree on many random questions over
// the big world (the naive scan is a direct transcription of upstream).
func TestIndexedMatchesNaive(t *testing.T) {
	in := bigWorld()
	m := Build(in, Options{})
	r := rand.New(rand.NewPCG(9, 9))
	allowed := 0
	for range 3000 {
		q := genQuestion(r)
		if r.IntN(2) == 0 {
			q.User = UserInfo{Name: fmt.Sprintf("user%d", r.IntN(5000)), Groups: []string{fmt.Sprintf("group%d", r.IntN(200))}}
		}
		if r.IntN(2) == 0 && !q.Attributes.NonResource {
			q.Attributes.Namespace = fmt.Sprintf("ns%d", r.IntN(200))
		}
		got, want := m.Allowed(q.User, q.Attributes).Allowed, naiveAllowed(&in, q.User, q.Attributes)
		if got != want {
			t.Fatalf("%v %v: indexed %v, naive %v", q.User, q.Attributes, got, want)
		}
		if got {
			allowed++
		}
	}
	if allowed == 0 || allowed == 3000 {
		t.Errorf("degenerate question set: %d of 3000 allowed", allowed)
	}
}
