package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// NoDigest notes images pinned by tag only. It is advice: a version tag is
// usually fine, but a digest is the only reference that cannot change.
//
// Reads: spec.initContainers[*].image, spec.containers[*].image,
// spec.ephemeralContainers[*].image.
// Allows: references with a digest. Images with no tag or latest are left to
// image-latest-tag (the worse problem, reported once); references that
// cannot be parsed to image-reference-invalid.
// An image an OpenShift image trigger writes (a DeploymentConfig's
// ImageChange trigger, the image.openshift.io/triggers annotation) is not
// judged by what the manifest holds: OpenShift replaces it with the
// ImageStreamTag's image, by digest.
var NoDigest = &check.Check{
	Meta: check.Meta{
		ID:       "image-no-digest",
		Title:    "Image is not pinned by digest",
		Severity: check.Info,
		Category: check.CategoryImage,
		Rationale: "A tag is a pointer that whoever can push to the repository can move, by mistake or after " +
			"stealing credentials; a digest names the exact content, so what was reviewed and scanned is what runs.",
		Fix:   "Append the digest to the reference (app:1.4.2@sha256:...), for example with crane digest or your registry's UI, and let a bot such as Renovate keep it current.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image"},
		Peers: []check.Peer{check.KubeLinter("image-not-pinned-by-digest").Differs("kube-linter also reports untagged images, which kubeward reports once, as image-latest-tag, and passes any @sha256: even one the kubelet rejects (image-reference-invalid)")},
		Refs:  []check.Reference{check.NSA("Pod security: building secure container images")},
	},
	Pod: noDigest,
}

func init() { check.Register(NoDigest) }

func noDigest(ctx *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for _, u := range images(ctx, p) {
		if u.err != nil || u.ref.Digest != "" || u.ref.Tag == "" || u.ref.Tag == "latest" {
			continue
		}
		out = append(out, check.Result{
			Path:    u.Path.Child("image"),
			Message: fmt.Sprintf("container %q: image %q is pinned by tag only", u.Name, u.Image),
		})
	}
	return out
}
