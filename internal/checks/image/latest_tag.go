package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// LatestTag reports images that name no version: the tag "latest", or no
// tag at all (which the kubelet pulls as latest).
//
// Reads: spec.initContainers[*].image, spec.containers[*].image,
// spec.ephemeralContainers[*].image (a debug container pulls and runs an
// image in the pod like any other).
// Allows: any other tag, and any reference with a digest (the digest decides
// what runs, whatever the tag says). References that cannot be parsed are
// left to image-reference-invalid.
// An image an OpenShift image trigger writes (a DeploymentConfig's
// ImageChange trigger, the image.openshift.io/triggers annotation) is not
// judged by what the manifest holds: OpenShift replaces it with the
// ImageStreamTag's image, by digest.
var LatestTag = &check.Check{
	Meta: check.Meta{
		ID:       "image-latest-tag",
		Title:    "Image uses the latest tag or no tag",
		Severity: check.Medium,
		Category: check.CategoryImage,
		Rationale: "latest names whatever was pushed last: two nodes can run different code under one manifest, " +
			"a rollback cannot go back, and a compromised or broken push reaches every restarted pod without any " +
			"change to review. Images without a tag are pulled as latest.",
		Fix:   "Pin a version tag (nginx:1.27.3), better a digest (nginx:1.27.3@sha256:...), and update it through reviewed changes.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image"},
		Peers: []check.Peer{
			check.Trivy("KSV013").Differs("Trivy takes what follows the first colon as the tag, so localhost:5000/app passes; kubeward parses the reference as the kubelet does (a port is not a tag)"),
			check.Polaris("tagNotSpecified").Differs("Polaris passes any reference with a colon, localhost:5000/app too"),
			check.KubeLinter("latest-tag").Differs("kube-linter's default block list misses an untagged image without a slash (nginx)"),
		},
		Refs: []check.Reference{check.NSA("Pod security: building secure container images")},
	},
	Pod: latestTag,
}

func init() { check.Register(LatestTag) }

func latestTag(ctx *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for _, u := range images(ctx, p) {
		if u.err != nil || u.ref.Digest != "" {
			continue
		}
		var msg string
		switch u.ref.Tag {
		case "":
			msg = fmt.Sprintf("container %q: image %q has no tag, so the kubelet pulls %s:latest", u.Name, u.Image, u.ref.Name())
		case "latest":
			msg = fmt.Sprintf("container %q: image %q uses the tag latest, which moves with every push", u.Name, u.Image)
		default:
			continue
		}
		out = append(out, check.Result{Path: u.Path.Child("image"), Message: msg})
	}
	return out
}
