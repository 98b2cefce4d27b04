package detect

import (
	"slices"
	"strings"
)

// roleChange returns the rules of an authorized create, update or patch of
// a Role or ClusterRole by an identity outside the control plane (the API
// server reconciles the bootstrap roles and the aggregation controller
// rewrites aggregated ones).
func roleChange(v *View) (*roleBody, bool) {
	ev := v.Event
	if !writes(ev.Verb) || ev.APIGroup() != "rbac.authorization.k8s.io" || ev.Subresource() != "" ||
		(ev.Resource() != "roles" && ev.Resource() != "clusterroles") || !ev.Allowed() || v.isSystem(v.actor()) {
		return nil, false
	}
	r, ok := v.Role()
	return r, ok
}

// roleKind is "Role ns/name" or "ClusterRole name".
func roleKind(v *View, r *roleBody) string {
	name := v.objectName(&r.Metadata)
	if v.Event.Resource() == "roles" {
		return "Role " + v.Event.Namespace() + "/" + name
	}
	return "ClusterRole " + name
}

// matchingRules returns the rules for which pred holds, rendered.
func matchingRules(r *roleBody, pred func(*policyRule) bool) []string {
	var out []string
	for i := range r.Rules {
		if pred(&r.Rules[i]) {
			out = append(out, ruleString(&r.Rules[i]))
		}
	}
	return out
}

// ruleString renders a policy rule compactly: verbs on group/resources.
func ruleString(r *policyRule) string {
	var res []string
	if len(r.NonResourceURLs) > 0 {
		res = r.NonResourceURLs
	} else {
		for _, g := range r.APIGroups {
			for _, x := range r.Resources {
				if g == "" {
					res = append(res, x)
				} else {
					res = append(res, g+"/"+x)
				}
			}
		}
	}
	s := "[" + strings.Join(r.Verbs, ",") + "] " + strings.Join(res, ",")
	if len(r.ResourceNames) > 0 {
		s += " names=" + strings.Join(r.ResourceNames, ",")
	}
	return s
}

func anyOf(list []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(list, w) {
			return true
		}
	}
	return false
}
