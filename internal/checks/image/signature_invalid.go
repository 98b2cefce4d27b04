package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// SignatureInvalid reports images whose signatures do not verify: altered
// after signing, a certificate that was not valid when it signed (no
// transparency-log entry or timestamp proving when), a log entry the
// trusted root does not vouch for, or an unreadable signature.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies.
// Allows: images with a signature by one of the policy's signers.
var SignatureInvalid = signatureCheck(check.Meta{
	ID:       "image-signature-invalid",
	Title:    "Image signature does not verify",
	Severity: check.High,
	Rationale: "A signature that fails verification proves nothing, and one that was altered is a sign of tampering. " +
		"Keyless certificates live ten minutes: only a transparency-log entry or a trusted timestamp shows they " +
		"were valid when they signed.",
	Fix: "Sign the image again from the trusted pipeline with the transparency log on (cosign's default), and check " +
		"that the configured trusted root is current (images.trustedRoot, or TUF).",
}, facts.Invalid, func(u factsUse, v *facts.SignatureVerdict) string {
	return fmt.Sprintf("%simage %q has no valid signature for policy %s: %s", u.container(), u.Image, v.Policy, problems(v.Found, facts.Invalid))
})

func init() { check.Register(SignatureInvalid) }
