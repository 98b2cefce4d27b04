package detect

import "github.com/kubeward/kubeward/internal/check"

// untrustedNode detects nodes joining that are not on the list (Falco:
// Untrusted Node Successfully Joined / Unsuccessfully Tried to Join the
// Cluster). A rogue node receives the pods, and so the secrets, the
// scheduler places on it.
//
// Reads: verb, objectRef (nodes, name), user, response code.
//
// Fires on the creation of a Node whose name no pattern of
// Options.TrustedNodes matches: high when it succeeded, low when it was
// refused. Off without a list of trusted nodes.
func untrustedNode() Rule {
	return Rule{
		Meta: Meta{
			ID:       "untrusted-node",
			Title:    "Untrusted node joined the cluster",
			Severity: check.High,
			MITRE:    []Technique{tValidAccounts},
			Fires:    "a Node created with a name outside trustedNodes",
			Reads:    []string{"verb", "objectRef", "user", "responseStatus.code"},
			Fix:      "Cordon and delete the node, revoke the bootstrap token or certificate it used, and check where its credentials came from.",
			Needs:    "TrustedNodes",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if ev.Verb != "create" || !ev.Is("", "nodes") || v.Opts.TrustedNodes.Match(ev.Name()) {
				return nil
			}
			return outcome(v, hit("node "+ev.Name()+" not in the trusted list joined the cluster"), check.High)
		},
	}
}
