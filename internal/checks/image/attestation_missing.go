package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
)

// AttestationMissing reports images without an attestation an image
// policy requires (SLSA provenance, an SBOM, a vulnerability scan, or any
// predicate type) signed by a signer the policy trusts.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies.
// Allows: images with a trusted attestation of the type; one whose
// conditions fail is left to image-attestation-failed, one for another
// digest to image-digest-mismatch.
var AttestationMissing = &check.Check{
	Meta: check.Meta{
		ID:       "image-attestation-missing",
		Title:    "Image lacks a required attestation",
		Severity: check.High,
		Category: check.CategoryImage,
		Rationale: "Provenance says which builder made the image from which source; an SBOM says what is inside. " +
			"Without a trusted one, neither can be checked, and an image built on a laptop passes for a release.",
		Fix: "Attest the image in the pipeline that builds it (cosign attest --type slsaprovenance or spdxjson, or a " +
			"SLSA generator), signed by a signer the policy trusts.",
		Reads: policyReads,
		Refs:  provenanceRefs,
	},
	Inventory: attestationMissing,
	Needs:     inventory.WorkloadKinds,
	Images:    true,
	Active:    (*check.Options).ImageFacts,
}

func init() { check.Register(AttestationMissing) }

func attestationMissing(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, u := range withFacts(ctx, inv) {
		for i := range u.facts.Attestations {
			v := &u.facts.Attestations[i]
			if v.Passed() || len(v.Failing()) > 0 || v.Worst() == facts.OtherDigest {
				continue
			}
			why := "none was found"
			if w := v.Worst(); w != "" {
				why = fmt.Sprintf("%d found, none trusted: %s", len(v.Found), problems(attestationSignatures(v), w))
			}
			out = append(out, u.result(fmt.Sprintf("%simage %q has no trusted %s attestation, which policy %s requires: %s",
				u.container(), u.Image, v.Name, v.Policy, why)))
		}
	}
	return out
}
