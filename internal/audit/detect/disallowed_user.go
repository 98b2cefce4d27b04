package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// disallowedUser detects API use by people outside the allow-list (Falco:
// Disallowed K8s User).
//
// Reads: user (username), verb, objectRef.
//
// Fires on any request by a user whose name does not start with "system:"
// (service accounts, nodes and components are the cluster's own) and that
// no pattern of Options.AllowedUsers matches. Off without an allow-list.
func disallowedUser() Rule {
	return Rule{
		Meta: Meta{
			ID:       "disallowed-user",
			Title:    "API used by a user outside the allow-list",
			Severity: check.Medium,
			MITRE:    []Technique{tValidAccounts},
			Fires:    "a request by a non-system user not in allowedUsers",
			Reads:    []string{"user", "verb", "objectRef"},
			Fix:      "Find where the credential came from; revoke it, or add the user to allowedUsers.",
			Needs:    "AllowedUsers",
		},
		Eval: func(v *View) *Hit {
			u := v.actor().Username
			if u == "" || strings.HasPrefix(u, "system:") || v.Opts.AllowedUsers.Match(u) {
				return nil
			}
			return hit("request by " + u + ", who is not in the allowed users")
		},
	}
}
