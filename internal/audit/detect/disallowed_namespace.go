package detect

import "github.com/kubeward/kubeward/internal/check"

// disallowedNamespace detects namespaces created outside the allow-list
// (Falco: Create Disallowed Namespace).
//
// Reads: verb, objectRef (namespaces, name), response code.
//
// Fires on the successful creation of a namespace that no pattern of
// Options.AllowedNamespaces matches; default, kube-system, kube-public and
// kube-node-lease are always allowed. Off without an allow-list.
func disallowedNamespace() Rule {
	return Rule{
		Meta: Meta{
			ID:       "disallowed-namespace",
			Title:    "Namespace created outside the allow-list",
			Severity: check.Medium,
			MITRE:    []Technique{tDeployContainer},
			Fires:    "a namespace created with a name not in allowedNamespaces",
			Reads:    []string{"verb", "objectRef", "responseStatus.code"},
			Fix:      "Delete the namespace if unexpected, or add it to allowedNamespaces.",
			Needs:    "AllowedNamespaces",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if ev.Verb != "create" || !ev.Is("", "namespaces") || !ev.Succeeded() {
				return nil
			}
			switch n := ev.Name(); {
			case n == "default" || n == kubeSystem || n == kubePublic || n == kubeNodeLease || v.Opts.AllowedNamespaces.Match(n):
				return nil
			default:
				return hit("namespace " + n + " created outside the allowed namespaces")
			}
		},
	}
}
