package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Cases quote upstream behaviour of k8s.io/kubernetes
// pkg/apis/rbac/v1/evaluation_helpers.go (v1.37) and its tests.

func TestVerbMatches(t *testing.T) {
	for _, c := range []struct {
		verbs []string
		verb  string
		want  bool
	}{
		{[]string{"get"}, "get", true},
		{[]string{"get"}, "list", false},
		{[]string{"*"}, "impersonate", true},
		{[]string{"get", "*"}, "delete", true},
		{nil, "get", false},
		{[]string{"GET"}, "get", false}, // case-sensitive
		{[]string{"get"}, "*", false},   // a request for "*" needs a "*" rule
		{[]string{"*"}, "*", true},
	} {
		if got := VerbMatches(&rbacv1.PolicyRule{Verbs: c.verbs}, c.verb); got != c.want {
			t.Errorf("VerbMatches(%q, %q) = %v, want %v", c.verbs, c.verb, got, c.want)
		}
	}
}

func TestAPIGroupMatches(t *testing.T) {
	for _, c := range []struct {
		groups []string
		group  string
		want   bool
	}{
		{[]string{""}, "", true},
		{[]string{""}, "apps", false},
		{[]string{"*"}, "", true},
		{[]string{"*"}, "rbac.authorization.k8s.io", true},
		{[]string{"apps"}, "apps", true},
		{[]string{"extensions"}, "apps", false},
		{nil, "", false}, // no group listed matches nothing, not the core group
	} {
		if got := APIGroupMatches(&rbacv1.PolicyRule{APIGroups: c.groups}, c.group); got != c.want {
			t.Errorf("APIGroupMatches(%q, %q) = %v, want %v", c.groups, c.group, got, c.want)
		}
	}
}

func TestResourceMatches(t *testing.T) {
	for _, c := range []struct {
		resources            []string
		combined, subresouce string
		want                 bool
	}{
		{[]string{"*"}, "pods", "", true},
		{[]string{"*"}, "pods/exec", "exec", true},
		{[]string{"pods"}, "pods", "", true},
		{[]string{"pods"}, "pods/exec", "exec", false}, // a resource does not cover its subresources
		{[]string{"pods/exec"}, "pods/exec", "exec", true},
		{[]string{"pods/exec"}, "pods", "", false},
		{[]string{"*/exec"}, "pods/exec", "exec", true},
		{[]string{"*/exec"}, "nodes/exec", "exec", true},
		{[]string{"*/exec"}, "pods/execute", "execute", false},
		{[]string{"*/status"}, "pods", "", false},
		{[]string{"*/xstatus"}, "pods/status", "status", false},
		{[]string{"pods/*"}, "pods/exec", "exec", false}, // upstream has no resource/* form
		{[]string{"pods/*"}, "pods/*", "*", true},        // ...except a literal "*" subresource
		{[]string{"*/*"}, "pods/*", "*", true},
		{[]string{"*/*"}, "pods/log", "log", false},
		{[]string{"Pods"}, "pods", "", false},
	} {
		if got := ResourceMatches(&rbacv1.PolicyRule{Resources: c.resources}, c.combined, c.subresouce); got != c.want {
			t.Errorf("ResourceMatches(%q, %q, %q) = %v, want %v", c.resources, c.combined, c.subresouce, got, c.want)
		}
	}
}

func TestResourceNameMatches(t *testing.T) {
	for _, c := range []struct {
		names []string
		name  string
		want  bool
	}{
		{nil, "", true},
		{nil, "foo", true},
		{[]string{"foo"}, "foo", true},
		{[]string{"foo"}, "bar", false},
		{[]string{"foo"}, "", false},  // list/create carry no name
		{[]string{"*"}, "foo", false}, // "*" is not a wildcard in resourceNames
	} {
		if got := ResourceNameMatches(&rbacv1.PolicyRule{ResourceNames: c.names}, c.name); got != c.want {
			t.Errorf("ResourceNameMatches(%q, %q) = %v, want %v", c.names, c.name, got, c.want)
		}
	}
}

func TestNonResourceURLMatches(t *testing.T) {
	for _, c := range []struct {
		urls []string
		path string
		want bool
	}{
		{[]string{"*"}, "/healthz", true},
		{[]string{"/healthz"}, "/healthz", true},
		{[]string{"/healthz"}, "/healthz/etcd", false},
		{[]string{"/healthz/*"}, "/healthz/etcd", true},
		{[]string{"/healthz/*"}, "/healthz", false},
		{[]string{"/healthz*"}, "/healthz", true},
		{[]string{"/api*"}, "/apis/apps", true}, // plain prefix, not a path segment
		{[]string{"/api**"}, "/api", true},      // TrimRight removes every trailing "*"
		{[]string{"/metrics"}, "/metrics/", false},
		{nil, "/", false},
	} {
		if got := NonResourceURLMatches(&rbacv1.PolicyRule{NonResourceURLs: c.urls}, c.path); got != c.want {
			t.Errorf("NonResourceURLMatches(%q, %q) = %v, want %v", c.urls, c.path, got, c.want)
		}
	}
}

func TestRuleAllows(t *testing.T) {
	podsGet := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	urls := rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}
	mixed := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}, NonResourceURLs: []string{"/metrics"}}
	for _, c := range []struct {
		rule rbacv1.PolicyRule
		a    Attributes
		want bool
	}{
		{podsGet, Attributes{Verb: "get", Resource: "pods", Namespace: "a"}, true},
		{podsGet, Attributes{Verb: "get", Resource: "pods", APIGroup: "apps"}, false},
		{podsGet, Attributes{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{podsGet, Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, false},
		{urls, Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, true},
		{urls, Attributes{Verb: "get", Resource: "metrics"}, false},
		// A malformed mixed rule is evaluated per request kind, as upstream does.
		{mixed, Attributes{Verb: "get", Resource: "pods"}, true},
		{mixed, Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, true},
	} {
		if got := RuleAllows(&c.a, &c.rule); got != c.want {
			t.Errorf("RuleAllows(%v, %s) = %v, want %v", c.a, RuleString(&c.rule), got, c.want)
		}
	}
}

// FuzzResourceMatchesParts holds the allocation-free matcher equal to the
// upstream transcription.
func FuzzResourceMatchesParts(f *testing.F) {
	f.Add("pods/exec", "pods", "exec")
	f.Add("*/exec", "nodes", "exec")
	f.Add("pods", "pods", "")
	f.Add("a/b/c", "a/b", "c")
	f.Fuzz(func(t *testing.T, ruleRes, res, sub string) {
		rule := rbacv1.PolicyRule{Resources: []string{ruleRes}}
		combined := res
		if sub != "" {
			combined = res + "/" + sub
		}
		if got, want := resourceMatchesParts(&rule, res, sub), ResourceMatches(&rule, combined, sub); got != want {
			t.Fatalf("rule %q, resource %q, subresource %q: parts %v, upstream %v", ruleRes, res, sub, got, want)
		}
	})
}
