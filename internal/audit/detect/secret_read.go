package detect

import "github.com/kubeward/kubeward/internal/check"

// secretRead detects reads of Secrets by people and workloads (Falco: K8s
// Secret Get Successfully), and attempts to read them that the authorizer
// refused.
//
// Reads: verb, objectRef (secrets, namespace, name), user, the
// authorization decision and response code.
//
// Fires on a get, list or watch of secrets by an identity other than the
// control plane, kubelets (which fetch the secrets of their pods) or
// Options.SystemUsers. Listing or watching secrets of all namespaces is
// high severity. A read the authorizer denied fires at low severity, once
// per request: a single probe of a Secret is reconnaissance (forbidden-burst
// fires too when denials pile up). The Secret's contents are never read:
// the recommended audit policy logs secrets at Metadata level, and the
// decoder drops Secret bodies anyway.
func secretRead() Rule {
	return Rule{
		Meta: Meta{
			ID:       "secret-read",
			Title:    "Secret read",
			Severity: check.Medium,
			MITRE:    []Technique{tContainerAPI},
			Fires:    "a get, list or watch of secrets by a non-system identity (low severity when denied)",
			Reads:    []string{"verb", "objectRef", "user", "annotations", "responseStatus.code"},
			Fix:      "Confirm the reader needs the secret; grant get on named secrets only (resourceNames), never list or watch. For a denied read, find out why the identity tried.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !ev.Is("", "secrets") || (ev.Verb != "get" && ev.Verb != "list" && ev.Verb != "watch") || v.isSystem(v.actor()) {
				return nil
			}
			what := ev.Verb + " of secrets in namespace " + ev.Namespace()
			switch {
			case ev.Verb == "get":
				what = "secret " + ev.Namespace() + "/" + ev.Name() + " read"
			case ev.Namespace() == "":
				what = ev.Verb + " of secrets in all namespaces"
			}
			if !ev.Allowed() {
				if !ev.Forbidden() {
					return nil // unauthenticated: auth-failure-burst's
				}
				h := hit(what + " denied")
				h.Severity = check.Low
				return h
			}
			h := hit(what)
			if ev.Verb != "get" && ev.Namespace() == "" {
				h.Severity = check.High
			}
			return outcome(v, h, check.Medium)
		},
	}
}
