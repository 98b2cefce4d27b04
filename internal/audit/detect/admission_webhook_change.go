package detect

import (
	"github.com/kubeward/kubeward/internal/check"
)

// admissionWebhookChange detects changes to admission control: webhook
// configurations and admission policies decide what may run, and a
// mutating webhook sees (and may rewrite) every object it selects.
//
// Reads: verb, objectRef (admissionregistration.k8s.io:
// mutatingwebhookconfigurations, validatingwebhookconfigurations,
// validatingadmissionpolicies, validatingadmissionpolicybindings,
// mutatingadmissionpolicies, mutatingadmissionpolicybindings), the request
// body of patches, user, the authorization decision and response code.
//
// Fires on an authorized create, update, patch or delete by an identity
// other than the control plane, except a patch that only sets webhooks'
// clientConfig.caBundle (what cert-manager's cainjector does on every
// certificate renewal). Deletion is high severity.
func admissionWebhookChange() Rule {
	return Rule{
		Meta: Meta{
			ID:       "admission-webhook-change",
			Title:    "Admission control changed",
			Severity: check.Medium,
			MITRE:    []Technique{tImpairDefenses},
			Fires:    "a webhook configuration or admission policy created, changed or deleted",
			Reads:    []string{"verb", "objectRef", "requestObject (patches)", "user", "annotations", "responseStatus.code"},
			Fix:      "Confirm the change was planned; restore the configuration from source control if not.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if ev.APIGroup() != "admissionregistration.k8s.io" || ev.Subresource() != "" || !changes(ev.Verb) || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			switch ev.Resource() {
			case "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies",
				"validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings":
			default:
				return nil
			}
			if ev.Verb == "patch" {
				if p, ok := v.Patch(); ok && onlyCABundle(p) {
					return nil
				}
			}
			h := hit(ev.Verb + " of " + ev.Resource() + " " + ev.Name())
			if ev.Verb == "delete" || ev.Verb == "deletecollection" {
				h.Severity = check.High
			}
			return outcome(v, h, check.Medium)
		},
	}
}

// onlyCABundle reports a merge or strategic-merge patch that changes
// nothing but webhooks[].clientConfig.caBundle (webhooks named by their
// merge key).
func onlyCABundle(p map[string]any) bool {
	seenBundle := false
	for k, val := range p {
		switch k {
		case "apiVersion", "kind", "$setElementOrder/webhooks":
		case "metadata":
			m, ok := val.(map[string]any)
			if !ok {
				return false
			}
			for mk := range m {
				if mk != "resourceVersion" {
					return false
				}
			}
		case "webhooks":
			list, ok := val.([]any)
			if !ok {
				return false
			}
			for _, item := range list {
				w, ok := item.(map[string]any)
				if !ok {
					return false
				}
				for wk, wv := range w {
					switch wk {
					case "name":
					case "clientConfig":
						cc, ok := wv.(map[string]any)
						if !ok || len(cc) != 1 || cc["caBundle"] == nil {
							return false
						}
						seenBundle = true
					default:
						return false
					}
				}
			}
		default:
			return false
		}
	}
	return seenBundle
}
