package detect

import "github.com/kubeward/kubeward/internal/check"

// secretRead detects reads of Secrets by people and workloads (Falco: K8s
// Secret Get Successfully).
//
// Reads: verb, objectRef (secrets, namespace, name), user, the
// authorization decision and response code.
//
// Fires on an authorized get, list or watch of secrets by an identity other
// than the control plane, kubelets (which fetch the secrets of their pods)
// or Options.SystemUsers. Listing or watching secrets of all namespaces is
// high severity. Unauthorized attempts are forbidden-burst's. The Secret's
// contents are never read: the recommended audit policy logs secrets at
// Metadata level, and the decoder drops Secret bodies anyway.
func secretRead() Rule {
	return Rule{
		Meta: Meta{
			ID:       "secret-read",
			Title:    "Secret read",
			Severity: check.Medium,
			MITRE:    []Technique{tContainerAPI},
			Fires:    "a get, list or watch of secrets by a non-system identity",
			Reads:    []string{"verb", "objectRef", "user", "annotations", "responseStatus.code"},
			Fix:      "Confirm the reader needs the secret; grant get on named secrets only (resourceNames), never list or watch.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !ev.Is("", "secrets") || (ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch") || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			var h *Hit
			switch {
			case ev.Verb == "get":
				h = hit("secret " + ev.Namespace() + "/" + ev.Name() + " read")
			case ev.Namespace() == "":
				h = hit(ev.Verb + " of secrets in all namespaces")
				h.Severity = check.High
			default:
				h = hit(ev.Verb + " of secrets in namespace " + ev.Namespace())
			}
			return outcome(v, h, check.Medium)
		},
	}
}
