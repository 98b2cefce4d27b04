package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// privilegedPod detects privileged containers (Falco: Create Privileged
// Pod).
//
// Reads: verb, objectRef (pods, or pods/ephemeralcontainers), the request
// body (containers, initContainers, ephemeralContainers:
// securityContext.privileged, image; metadata.ownerReferences), the
// authorization decision and response code.
//
// Fires on an authorized pod creation with a privileged container, or an
// ephemeral container added privileged, unless every container's image is
// in Options.PrivilegedImages. A creation that failed (rejected by
// admission) is reported at low severity.
func privilegedPod() Rule {
	return Rule{
		Meta: Meta{
			ID:       "privileged-pod",
			Title:    "Privileged container started",
			Severity: check.High,
			MITRE:    []Technique{tEscapeToHost},
			Fires:    "a pod created, or an ephemeral container added, with securityContext.privileged: true",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Drop privileged: add only the capabilities the workload needs, and enforce Pod Security 'baseline' or 'restricted' on the namespace.",
		},
		Eval: func(v *View) *Hit {
			_, cs, _ := newContainers(v)
			var priv []*container
			for _, c := range cs {
				if c.privileged() {
					priv = append(priv, c)
				}
			}
			if len(priv) == 0 || allImagesIn(v.Opts.PrivilegedImages, priv) {
				return nil
			}
			var names []string
			for _, c := range priv {
				names = append(names, c.Name)
			}
			name, owner := podTarget(v)
			return outcome(v, hit("privileged container in pod "+v.Event.Namespace()+"/"+name,
				"containers", strings.Join(names, ","), "images", strings.Join(images(priv), ","), "owner", owner), check.High)
		},
	}
}
