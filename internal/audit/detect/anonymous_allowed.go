package detect

import "github.com/kubeward/kubeward/internal/check"

// anonymousAllowed detects requests the anonymous user was allowed to make
// (Falco: Anonymous Request Allowed; CIS 1.2.1).
//
// Reads: user (username, groups), requestURI, the authorization decision.
//
// Fires on an authorized request by system:anonymous (or a member of
// system:unauthenticated) other than the health and version endpoints the
// default system:public-info-viewer role opens: /healthz, /livez, /readyz,
// /version.
func anonymousAllowed() Rule {
	return Rule{
		Meta: Meta{
			ID:       "anonymous-allowed",
			Title:    "Anonymous request allowed",
			Severity: check.High,
			MITRE:    []Technique{tDefaultAccounts},
			Fires:    "an authorized request by system:anonymous beyond the health and version endpoints",
			Reads:    []string{"user", "requestURI", "annotations"},
			Fix:      "Remove bindings to system:anonymous and system:unauthenticated, or set --anonymous-auth=false (or an AuthenticationConfiguration limiting anonymous access to health endpoints).",
		},
		Eval: func(v *View) *Hit {
			u := v.actor()
			if (u.Username != userAnonymous && !u.InGroup("system:unauthenticated")) || v.Event.Decision() != "allow" {
				return nil
			}
			switch p := pathOf(v.Event.RequestURI); p {
			case "/healthz", "/livez", "/readyz", "/version", "/version/":
				return nil
			default:
				return hit("anonymous request to " + p + " allowed")
			}
		},
	}
}
