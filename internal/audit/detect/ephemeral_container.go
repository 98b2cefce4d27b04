package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// ephemeralContainer detects ephemeral containers added to running pods
// (Falco: EphemeralContainers Created), what `kubectl debug` does.
//
// Reads: verb, objectRef (pods, subresource ephemeralcontainers), the
// request body (spec.ephemeralContainers: name, image), the authorization
// decision.
//
// Fires on an authorized update or patch of pods/ephemeralcontainers.
func ephemeralContainer() Rule {
	return Rule{
		Meta: Meta{
			ID:       "ephemeral-container",
			Title:    "Ephemeral container added to a pod",
			Severity: check.Medium,
			MITRE:    []Technique{tContainerAdminCommand, tDeployContainer},
			Fires:    "an authorized update or patch of pods/ephemeralcontainers",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations"},
			Fix:      "Confirm the debugging session; restrict pods/ephemeralcontainers to break-glass roles.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !ev.IsSub("", "pods", "ephemeralcontainers") || (ev.Verb != "update" && ev.Verb != "patch") || !ev.Allowed() {
				return nil
			}
			var names []string
			var imgs string
			if _, cs, _ := newContainers(v); len(cs) > 0 {
				for _, c := range cs {
					names = append(names, c.Name)
				}
				imgs = strings.Join(images(cs), ",")
			}
			return outcome(v, hit("ephemeral container added to pod "+ev.Namespace()+"/"+ev.Name(),
				"containers", strings.Join(names, ","), "images", imgs), check.Medium)
		},
	}
}
