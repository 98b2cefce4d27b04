package detect

import "github.com/kubeward/kubeward/internal/check"

// systemMastersUsed detects use of a system:masters credential (Falco:
// Full K8s Administrative Access, which guesses admins by name). Members of
// system:masters bypass RBAC and authorization webhooks, and the
// membership lives in the certificate, so it cannot be revoked short of
// rotating the CA: it should be break-glass only.
//
// Reads: user (username, groups), the authorization decision.
//
// Fires on an authorized request by a member of system:masters other than
// the control plane (the API server's loopback identity is one).
func systemMastersUsed() Rule {
	return Rule{
		Meta: Meta{
			ID:       "system-masters-used",
			Title:    "system:masters credential used",
			Severity: check.Medium,
			MITRE:    []Technique{tDefaultAccounts},
			Fires:    "a request authenticated with a credential in the system:masters group",
			Reads:    []string{"user", "annotations"},
			Fix:      "Use a credential bound to an RBAC role for day-to-day work (kubeadm: admin.conf, not super-admin.conf); keep system:masters for break-glass.",
		},
		Eval: func(v *View) *Hit {
			u := v.actor()
			if !u.InGroup(groupMasters) || !v.Event.Allowed() || isControlPlane(u) {
				return nil
			}
			return hit("request by " + u.Username + " with system:masters rights")
		},
	}
}
