package detect

import (
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/check"
)

// tokenRequestOtherSA detects tokens minted for someone else's service
// account: whoever can create serviceaccounts/token can act as that
// account, for as long as the token lives.
//
// Reads: verb, objectRef (serviceaccounts, subresource token, namespace,
// name), user, the authorization decision and response code. The token
// itself (in the response body) is never read: the decoder drops
// TokenRequest bodies.
//
// Fires on an authorized TokenRequest by an identity other than the
// service account itself, kubelets (which fetch their pods' tokens) and
// the control plane: high when the requester is another service account,
// medium for a user (kubectl create token).
func tokenRequestOtherSA() Rule {
	return Rule{
		Meta: Meta{
			ID:       "token-request-other-sa",
			Title:    "Token requested for another service account",
			Severity: check.Medium,
			MITRE:    []Technique{tStealToken},
			Fires:    "a serviceaccounts/token create by an identity other than the account, a kubelet or the control plane",
			Reads:    []string{"verb", "objectRef", "user", "annotations", "responseStatus.code"},
			Fix:      "Remove create on serviceaccounts/token from the requester; use projected tokens in pods rather than minted ones.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if ev.Verb != "create" || !ev.IsSub("", "serviceaccounts", "token") || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			target := ev.Namespace() + "/" + ev.Name()
			ns, name, isSA := event.ServiceAccount(ev.User.Username)
			if isSA && ns == ev.Namespace() && name == ev.Name() {
				return nil
			}
			h := hit("token minted for service account " + target)
			if isSA {
				h.Severity = check.High
				h.Message += " by service account " + ns + "/" + name
			}
			return outcome(v, h, check.Medium)
		},
	}
}
