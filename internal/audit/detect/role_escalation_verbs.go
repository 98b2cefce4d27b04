package detect

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// roleEscalationVerbs detects roles with the verbs that bypass RBAC's
// escalation check: escalate (write roles with more than you have), bind
// (bind roles with more than you have) and impersonate (act as anyone).
//
// Reads: verb, objectRef (roles, clusterroles), the request body (rules),
// user, the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a Role or ClusterRole
// with escalate, bind or impersonate among a rule's verbs, by an identity
// other than the control plane. Rules with a "*" verb are role-wildcard's.
func roleEscalationVerbs() Rule {
	return Rule{
		Meta: Meta{
			ID:       "role-escalation-verbs",
			Title:    "Role grants escalate, bind or impersonate",
			Severity: check.High,
			MITRE:    []Technique{tClusterRoles},
			Fires:    "a Role or ClusterRole written with the escalate, bind or impersonate verb",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Remove the verb; these permissions amount to cluster-admin for whoever holds them.",
		},
		Eval: func(v *View) *Hit {
			r, ok := roleChange(v)
			if !ok {
				return nil
			}
			rules := matchingRules(r, func(p *policyRule) bool {
				return !slices.Contains(p.Verbs, "*") && anyOf(p.Verbs, "escalate", "bind", "impersonate")
			})
			if len(rules) == 0 {
				return nil
			}
			return outcome(v, hit(roleKind(v, r)+" grants escalation verbs", "rules", strings.Join(rules, "; ")), check.High)
		},
	}
}
