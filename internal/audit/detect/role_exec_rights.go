package detect

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// roleExecRights detects roles that can run commands in pods (Falco:
// ClusterRole With Pod Exec Created).
//
// Reads: verb, objectRef (roles, clusterroles), the request body (rules),
// user, the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a Role or ClusterRole
// with pods/exec, pods/attach or pods/* among a rule's resources (core
// group or "*"), by an identity other than the control plane.
func roleExecRights() Rule {
	return Rule{
		Meta: Meta{
			ID:       "role-exec-rights",
			Title:    "Role grants exec into pods",
			Severity: check.Medium,
			MITRE:    []Technique{tClusterRoles, tContainerAdminCommand},
			Fires:    "a Role or ClusterRole written with pods/exec, pods/attach or pods/*",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Keep exec rights in a separate break-glass role, bound only when needed.",
		},
		Eval: func(v *View) *Hit {
			r, ok := roleChange(v)
			if !ok {
				return nil
			}
			rules := matchingRules(r, func(p *policyRule) bool {
				return (slices.Contains(p.APIGroups, "") || slices.Contains(p.APIGroups, "*")) &&
					anyOf(p.Resources, "pods/exec", "pods/attach", "pods/*")
			})
			if len(rules) == 0 {
				return nil
			}
			return outcome(v, hit(roleKind(v, r)+" grants exec into pods", "rules", strings.Join(rules, "; ")), check.Medium)
		},
	}
}
