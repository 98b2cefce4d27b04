package detect

import "github.com/kubeward/kubeward/internal/check"

// hostPIDPod detects pods in the node's process namespace (Falco: Create
// HostPid Pod).
//
// Reads: verb, objectRef (pods), the request body (spec.hostPID, container
// images), the authorization decision and response code.
//
// Fires on an authorized pod creation with hostPID: true, unless every
// image is in Options.PrivilegedImages. With hostPID a container sees and
// can signal (or, privileged, enter) every process on the node.
func hostPIDPod() Rule {
	return Rule{
		Meta: Meta{
			ID:       "host-pid-pod",
			Title:    "Pod uses the host PID namespace",
			Severity: check.High,
			MITRE:    []Technique{tEscapeToHost},
			Fires:    "a pod created with spec.hostPID: true",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Remove hostPID; enforce Pod Security 'baseline' on the namespace.",
		},
		Eval: func(v *View) *Hit {
			return outcome(v, hostFlagHit(v, func(s *podSpec) bool { return s.HostPID }, "uses the host PID namespace"), check.High)
		},
	}
}
