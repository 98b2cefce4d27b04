package detect

import "github.com/kubeward/kubeward/internal/check"

// podPortForward detects port forwarding to pods (Falco: port-forward).
//
// Reads: verb, objectRef (pods, subresource portforward), the
// authorization decision.
//
// Fires on an authorized port-forward request, which tunnels the caller's
// traffic into the pod's network namespace past NetworkPolicies that
// filter pod-to-pod traffic.
func podPortForward() Rule {
	return Rule{
		Meta: Meta{
			ID:       "pod-port-forward",
			Title:    "Port-forward into a pod",
			Severity: check.Low,
			MITRE:    []Technique{tProtocolTunneling},
			Fires:    "an authorized pods/portforward request",
			Reads:    []string{"verb", "objectRef", "annotations"},
			Fix:      "Limit pods/portforward to the people who debug the workload; expose services deliberately instead.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !ev.IsSub("", "pods", "portforward") || !ev.Allowed() || (ev.Verb != "create" && ev.Verb != "get") {
				return nil
			}
			return hit("port-forward into pod "+ev.Namespace()+"/"+ev.Name(), "ports", queryParam(ev.RequestURI, "ports"))
		},
	}
}
