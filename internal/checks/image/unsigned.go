package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// Unsigned reports images an image policy requires signatures of that
// carry none: no signature in cosign's tag scheme (sha256-<hex>.sig) nor
// in an OCI 1.1 referrer.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies.
// Allows: images no policy with signers covers, and images with a
// signature by one of the policy's signers. Signatures that exist but do
// not satisfy the policy are reported by image-signature-untrusted,
// image-signature-invalid or image-digest-mismatch instead.
var Unsigned = signatureCheck(check.Meta{
	ID:       "image-unsigned",
	Title:    "Image is not signed",
	Severity: check.High,
	Rationale: "A signature ties an image to the build that made it. An unsigned image could have been pushed by " +
		"anyone with write access to the repository, or swapped by a compromised registry, and nothing would tell.",
	Fix: "Sign the image in the pipeline that builds it (cosign sign, keyless from CI or with the policy's key), or, " +
		"while signing is being rolled out, add an exception with a reason and an expiry to the policy.",
	Peers: []check.Peer{check.Kubescape("C-0237")},
}, "", func(u factsUse, v *facts.SignatureVerdict) string {
	return fmt.Sprintf("%simage %q has no signature; policy %s requires one by %s", u.container(), u.Image, v.Policy, signers(v))
})

func init() { check.Register(Unsigned) }
