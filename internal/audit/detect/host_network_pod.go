package detect

import "github.com/kubeward/kubeward/internal/check"

// hostNetworkPod detects pods in the node's network namespace (Falco:
// Create HostNetwork Pod; CIS 5.2.5).
//
// Reads: verb, objectRef (pods), the request body (spec.hostNetwork,
// container images), the authorization decision and response code.
//
// Fires on an authorized pod creation with hostNetwork: true, unless every
// image is in Options.PrivilegedImages.
func hostNetworkPod() Rule {
	return Rule{
		Meta: Meta{
			ID:       "host-network-pod",
			Title:    "Pod uses the host network",
			Severity: check.Medium,
			MITRE:    []Technique{tEscapeToHost},
			Fires:    "a pod created with spec.hostNetwork: true",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Remove hostNetwork; expose the workload through a Service.",
		},
		Eval: func(v *View) *Hit {
			return outcome(v, hostFlagHit(v, func(s *podSpec) bool { return s.HostNetwork }, "uses the host network"), check.Medium)
		},
	}
}
