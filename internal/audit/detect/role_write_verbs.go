package detect

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// roleWriteVerbs detects roles that can change objects (Falco: ClusterRole
// With Write Privileges Created).
//
// Reads: verb, objectRef (roles, clusterroles), the request body (rules),
// user, the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a Role or ClusterRole
// with create, update, patch, delete or deletecollection among a rule's
// verbs, by an identity other than the control plane. Rules with a "*"
// verb are role-wildcard's, not repeated here.
func roleWriteVerbs() Rule {
	return Rule{
		Meta: Meta{
			ID:       "role-write-verbs",
			Title:    "Role grants write permissions",
			Severity: check.Low,
			MITRE:    []Technique{tClusterRoles},
			Fires:    "a Role or ClusterRole written with create, update, patch, delete or deletecollection",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Confirm the subject must change these objects; grant read-only verbs otherwise.",
		},
		Eval: func(v *View) *Hit {
			r, ok := roleChange(v)
			if !ok {
				return nil
			}
			rules := matchingRules(r, func(p *policyRule) bool {
				return !slices.Contains(p.Verbs, "*") && anyOf(p.Verbs, "create", "update", "patch", "delete", "deletecollection")
			})
			if len(rules) == 0 {
				return nil
			}
			return outcome(v, hit(roleKind(v, r)+" grants write verbs", "rules", strings.Join(rules, "; ")), check.Low)
		},
	}
}
