package detect

import "github.com/kubeward/kubeward/internal/check"

// serviceAccountInKubeNamespace detects service accounts created in
// kube-system or kube-public (Falco: Service Account Created in Kube
// Namespace): a quiet place to keep a privileged identity.
//
// Reads: verb, objectRef (serviceaccounts, namespace, name), user, response
// code.
//
// Fires on a successful creation by an identity other than the control
// plane, kubelets or Options.SystemUsers, of a service account whose name
// is not in Options.KubeSystemServiceAccounts.
func serviceAccountInKubeNamespace() Rule {
	return Rule{
		Meta: Meta{
			ID:       "serviceaccount-in-kube-namespace",
			Title:    "Service account created in a system namespace",
			Severity: check.Medium,
			MITRE:    []Technique{tCreateAccount},
			Fires:    "a service account created in kube-system or kube-public by a non-system identity",
			Reads:    []string{"verb", "objectRef", "user", "responseStatus.code"},
			Fix:      "Create service accounts in the add-on's own namespace; list intended ones in kubeSystemServiceAccounts.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			ns := ev.Namespace()
			if ev.Verb != "create" || !ev.Is("", "serviceaccounts") || (ns != kubeSystem && ns != kubePublic) ||
				!ev.Succeeded() || v.isSystem(v.actor()) || v.Opts.KubeSystemServiceAccounts.Match(ev.Name()) {
				return nil
			}
			return hit("service account " + ns + "/" + ev.Name() + " created in a system namespace")
		},
	}
}
