package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// disallowedImage detects images outside the allow-list (Falco: Create
// Disallowed Pod).
//
// Reads: verb, objectRef (pods, pods/ephemeralcontainers), the request body
// (container images), the authorization decision and response code.
//
// Fires on an authorized pod creation, or ephemeral container, with an
// image no pattern of Options.AllowedImages matches. Patterns match the
// image as written, without its tag or digest, and with Docker Hub's
// implicit docker.io/library/ made explicit. Off without an allow-list.
func disallowedImage() Rule {
	return Rule{
		Meta: Meta{
			ID:       "disallowed-image",
			Title:    "Container image outside the allow-list",
			Severity: check.Medium,
			MITRE:    []Technique{tDeployContainer},
			Fires:    "a pod or ephemeral container started with an image not in allowedImages",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Use an image from an approved registry, or add the image to allowedImages after review.",
			Needs:    "AllowedImages",
		},
		Eval: func(v *View) *Hit {
			_, cs, _ := newContainers(v)
			var bad []*container
			for _, c := range cs {
				if !v.Opts.AllowedImages.MatchImage(c.Image) {
					bad = append(bad, c)
				}
			}
			if len(bad) == 0 {
				return nil
			}
			name, owner := podTarget(v)
			return outcome(v, hit("pod "+v.Event.Namespace()+"/"+name+" runs images outside the allow-list",
				"images", strings.Join(images(bad), ","), "owner", owner), check.Medium)
		},
	}
}
