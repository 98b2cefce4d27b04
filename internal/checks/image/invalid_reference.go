package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// InvalidReference reports image references the kubelet cannot parse, so
// that the other image checks, which skip them, do not pass them silently.
//
// Reads: spec.initContainers[*].image, spec.containers[*].image,
// spec.ephemeralContainers[*].image.
// Allows: any reference the Docker reference grammar accepts. One that looks
// like a placeholder for a templating or build step (${IMAGE}, <REPO>/app,
// PROJECT_ID, ko://...) is reported as information only.
// An image an OpenShift image trigger writes (a DeploymentConfig's
// ImageChange trigger, the image.openshift.io/triggers annotation) is not
// judged by what the manifest holds: OpenShift replaces it with the
// ImageStreamTag's image, by digest.
var InvalidReference = &check.Check{
	Meta: check.Meta{
		ID:       "image-reference-invalid",
		Title:    "Image reference cannot be parsed",
		Severity: check.Low,
		Category: check.CategoryImage,
		Rationale: "The kubelet rejects such a reference (InvalidImageName), so the pod never starts, and no " +
			"check can tell which registry, tag or digest it means.",
		Fix:   "Write the reference as [registry[:port]/]repository[:tag][@digest], in lower case, or substitute the placeholder before scanning.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image"},
		// An image no one can name cannot have been vetted.
		Refs: []check.Reference{check.NSA("Pod security: building secure container images")},
	},
	Pod: invalidReference,
}

func init() { check.Register(InvalidReference) }

func invalidReference(ctx *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for _, u := range images(ctx, p) {
		if u.err == nil {
			continue
		}
		r := check.Result{
			Path:    u.Path.Child("image"),
			Message: fmt.Sprintf("container %q: image %q is not a valid reference: %v", u.Name, u.Image, u.err),
		}
		if placeholder(u.Image) {
			r.Severity = check.Info
			r.Message = fmt.Sprintf("container %q: image %q looks like a placeholder for a templating or build step to fill in", u.Name, u.Image)
		}
		out = append(out, r)
	}
	return out
}
