package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// SignatureUntrusted reports images signed, validly, by someone the image
// policy does not trust: a certificate of another identity or issuer, a
// key the policy does not list, or a signer of the policy whose signed
// payload lacks an annotation the policy requires of it, or holds another
// value (cosign verify -a). It names who signed, and what annotations were
// found.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies.
// Allows: images with a signature by one of the policy's signers, with
// the annotations that signer requires, whatever other signatures they
// carry.
var SignatureUntrusted = signatureCheck(check.Meta{
	ID:       "image-signature-untrusted",
	Title:    "Image is signed by an identity the policy does not trust",
	Severity: check.High,
	Rationale: "Anyone can obtain a Sigstore certificate for their own identity and sign any image. A signature " +
		"proves who signed, not that they may: only a signer the policy names vouches for the image.",
	Fix: "Rebuild and sign the image from the trusted pipeline, or, if this signer is legitimate, add it to the " +
		"policy's signers (an exact subject and issuer, or a regular expression matched whole). A signer of the policy " +
		"whose signature lacks the annotations the policy requires signs again with them (cosign sign -a key=value).",
	Peers: []check.Peer{check.Kubescape("C-0236")},
}, facts.Untrusted, func(u factsUse, v *facts.SignatureVerdict) string {
	// Each problem names the signer ("signed by X, whom the policy does
	// not trust"; "signed with key K, which the policy does not list").
	return fmt.Sprintf("%simage %q: %s; policy %s trusts %s", u.container(), u.Image,
		problems(v.Found, facts.Untrusted), v.Policy, signers(v))
})

func init() { check.Register(SignatureUntrusted) }
