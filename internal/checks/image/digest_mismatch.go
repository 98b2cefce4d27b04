package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
)

// DigestMismatch reports images whose only signatures or required
// attestations are genuine but name another image's digest: they were
// copied from another image, or the image was replaced after signing.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies.
// Allows: images with a trusted signature (or attestation) of their own
// digest.
var DigestMismatch = &check.Check{
	Meta: check.Meta{
		ID:       "image-digest-mismatch",
		Title:    "Image signature or attestation is for another digest",
		Severity: check.Critical,
		Category: check.CategoryImage,
		Rationale: "A signature covers one digest. One that names another digest was moved next to this image, or " +
			"this image replaced the one that was signed: either way, what runs is not what was signed.",
		Fix:   "Find out how the image changed since it was signed, rebuild it from the trusted pipeline, and sign that digest.",
		Reads: policyReads,
		Refs:  provenanceRefs,
	},
	Inventory: digestMismatch,
	Needs:     inventory.WorkloadKinds,
	Images:    true,
	Active:    (*check.Options).ImageFacts,
}

func init() { check.Register(DigestMismatch) }

func digestMismatch(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, u := range withFacts(ctx, inv) {
		for i := range u.facts.Signatures {
			v := &u.facts.Signatures[i]
			if !v.Trusted() && v.Worst() == facts.OtherDigest {
				out = append(out, u.result(fmt.Sprintf("%simage %q carries a signature for another image (policy %s): %s",
					u.container(), u.Image, v.Policy, problems(v.Found, facts.OtherDigest))))
			}
		}
		for i := range u.facts.Attestations {
			v := &u.facts.Attestations[i]
			if !v.Passed() && len(v.Failing()) == 0 && v.Worst() == facts.OtherDigest {
				out = append(out, u.result(fmt.Sprintf("%simage %q carries a %s attestation of another image (policy %s): %s",
					u.container(), u.Image, v.Name, v.Policy, problems(attestationSignatures(v), facts.OtherDigest))))
			}
		}
	}
	return out
}

func attestationSignatures(v *facts.AttestationVerdict) []facts.Signature {
	out := make([]facts.Signature, len(v.Found))
	for i := range v.Found {
		out[i] = v.Found[i].Signature
	}
	return out
}
