package detect

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// roleWildcard detects roles granting wildcards (Falco: ClusterRole With
// Wildcard Created).
//
// Reads: verb, objectRef (roles, clusterroles), the request body (rules),
// user, the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a Role or ClusterRole
// with "*" among a rule's verbs, resources or nonResourceURLs, by an
// identity other than the control plane. A wildcard grants every future
// resource and verb too, escalate and impersonate included.
func roleWildcard() Rule {
	return Rule{
		Meta: Meta{
			ID:       "role-wildcard",
			Title:    "Role grants wildcard permissions",
			Severity: check.Medium,
			MITRE:    []Technique{tClusterRoles},
			Fires:    "a Role or ClusterRole written with '*' in verbs, resources or nonResourceURLs",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "List the verbs and resources the subject needs (kubeward rbac suggest derives them from the audit log).",
		},
		Eval: func(v *View) *Hit {
			r, ok := roleChange(v)
			if !ok {
				return nil
			}
			rules := matchingRules(r, func(p *policyRule) bool {
				return slices.Contains(p.Verbs, "*") || slices.Contains(p.Resources, "*") || slices.Contains(p.NonResourceURLs, "*")
			})
			if len(rules) == 0 {
				return nil
			}
			return outcome(v, hit(roleKind(v, r)+" grants wildcards", "rules", strings.Join(rules, "; ")), check.Medium)
		},
	}
}
