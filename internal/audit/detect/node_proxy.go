package detect

import "github.com/kubeward/kubeward/internal/check"

// nodeProxy detects use of the nodes/proxy subresource, which reaches the
// kubelet API: its /exec, /run and /attach endpoints run commands in any
// pod on the node without a pods/exec audit event.
//
// Reads: objectRef (nodes, subresource proxy), the authorization decision,
// user.
//
// Fires on an authorized nodes/proxy request by anyone but the control
// plane.
func nodeProxy() Rule {
	return Rule{
		Meta: Meta{
			ID:       "node-proxy",
			Title:    "Kubelet API reached through nodes/proxy",
			Severity: check.High,
			MITRE:    []Technique{tContainerAdminCommand},
			Fires:    "an authorized nodes/proxy request by an identity outside the control plane",
			Reads:    []string{"objectRef", "annotations", "user"},
			Fix:      "Grant nodes/proxy to no one; scrape kubelet metrics through nodes/metrics and nodes/stats instead.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !ev.IsSub("", "nodes", "proxy") || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			return hit("kubelet API of node "+ev.Name()+" reached through nodes/proxy", "path", pathOf(ev.RequestURI))
		},
	}
}
