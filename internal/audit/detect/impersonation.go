package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/check"
)

// impersonation detects requests made as someone else.
//
// Reads: user, impersonatedUser (username, groups), the authorization
// decision.
//
// Fires on an authorized request with an impersonated user, by an identity
// other than the control plane or Options.Impersonators. High when the
// impersonated identity is in system:masters, a node or a kube-system
// service account.
func impersonation() Rule {
	return Rule{
		Meta: Meta{
			ID:       "impersonation",
			Title:    "Request made by impersonation",
			Severity: check.Medium,
			MITRE:    []Technique{tAltAuthMaterial},
			Fires:    "a request that impersonates another user, group or service account",
			Reads:    []string{"user", "impersonatedUser", "annotations"},
			Fix:      "Grant impersonate only to the proxies that need it, limited with resourceNames; list them in impersonators.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			as := ev.ImpersonatedUser
			if as == nil || !ev.Allowed() || v.isSystem(v.actor()) || v.Opts.Impersonators.Match(ev.User.Username) {
				return nil
			}
			h := hit(ev.User.Username+" acted as "+as.Username, "impersonatedGroups", strings.Join(as.Groups, ","))
			ns, _, sa := event.ServiceAccount(as.Username)
			if as.InGroup(groupMasters) || strings.HasPrefix(as.Username, "system:node:") || (sa && ns == kubeSystem) || as.Username == "system:admin" {
				h.Severity = check.High
			}
			return h
		},
	}
}
