package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The matchers below are our own copies of k8s.io/kubernetes
// pkg/apis/rbac/v1/evaluation_helpers.go and RuleAllows in
// plugin/pkg/auth/authorizer/rbac/rbac.go (v1.37). They must stay
// byte-for-byte equivalent in behaviour: the differential test against a
// real kube-apiserver is the judge.

// VerbMatches reports whether rule.Verbs holds "*" or verb.
func VerbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

// APIGroupMatches reports whether rule.APIGroups holds "*" or group.
func APIGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// ResourceMatches reports whether rule.Resources holds "*", the combined
// "resource/subresource" string, or "*/subresource" when subresource is set.
// Upstream knows no "resource/*" form: "pods/*" matches only a request
// whose subresource is literally "*".
func ResourceMatches(rule *rbacv1.PolicyRule, combined, subresource string) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll || r == combined {
			return true
		}
		if subresource == "" {
			continue
		}
		if len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}

// ResourceNameMatches reports whether rule.ResourceNames is empty or holds
// name. An empty name (list, create, a collection) does not match a
// non-empty ResourceNames.
func ResourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// NonResourceURLMatches reports whether rule.NonResourceURLs holds "*",
// path, or a prefix of path followed by a trailing "*" ("/api*" matches
// "/apis/apps"; the "*" is a plain prefix match, not a path segment).
func NonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// RuleAllows reports whether rule allows the request a, as the RBAC
// authorizer decides for one rule.
func RuleAllows(a *Attributes, rule *rbacv1.PolicyRule) bool {
	if !a.NonResource {
		return VerbMatches(rule, a.Verb) &&
			APIGroupMatches(rule, a.APIGroup) &&
			resourceMatchesParts(rule, a.Resource, a.Subresource) &&
			ResourceNameMatches(rule, a.Name)
	}
	return VerbMatches(rule, a.Verb) && NonResourceURLMatches(rule, a.Path)
}

// resourceMatchesParts is ResourceMatches(rule, resource+"/"+subresource,
// subresource) without building the combined string (the hot path of the
// escalation graph); TestResourceMatchesParts holds them equal.
func resourceMatchesParts(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll {
			return true
		}
		if subresource == "" {
			if r == resource {
				return true
			}
			continue
		}
		if len(r) == len(resource)+1+len(subresource) && strings.HasPrefix(r, resource) && r[len(resource)] == '/' && strings.HasSuffix(r, subresource) {
			return true
		}
		if len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource) {
			return true
		}
	}
	return false
}
