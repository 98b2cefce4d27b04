package detect

import "github.com/kubeward/kubeward/internal/check"

// hostIPCPod detects pods in the node's IPC namespace (Falco: Create
// HostIPC Pod).
//
// Reads: verb, objectRef (pods), the request body (spec.hostIPC, container
// images), the authorization decision and response code.
//
// Fires on an authorized pod creation with hostIPC: true, unless every
// image is in Options.PrivilegedImages.
func hostIPCPod() Rule {
	return Rule{
		Meta: Meta{
			ID:       "host-ipc-pod",
			Title:    "Pod uses the host IPC namespace",
			Severity: check.Medium,
			MITRE:    []Technique{tEscapeToHost},
			Fires:    "a pod created with spec.hostIPC: true",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Remove hostIPC; enforce Pod Security 'baseline' on the namespace.",
		},
		Eval: func(v *View) *Hit {
			return outcome(v, hostFlagHit(v, func(s *podSpec) bool { return s.HostIPC }, "uses the host IPC namespace"), check.Medium)
		},
	}
}
