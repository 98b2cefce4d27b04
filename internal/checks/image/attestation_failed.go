package image

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// AttestationFailed reports images whose trusted attestation of a
// required type says what the policy forbids: SLSA provenance from
// another builder, or built from another source repository.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID), and images.policies (builderID,
// sourceRepository, exact or regular expressions matched whole).
// Allows: images with a trusted attestation that meets every condition.
var AttestationFailed = &check.Check{
	Meta: check.Meta{
		ID:       "image-attestation-failed",
		Title:    "Image attestation fails the policy",
		Severity: check.High,
		Category: check.CategoryImage,
		Rationale: "Signed provenance from the wrong builder or repository is honest evidence that the image was not " +
			"built the way the policy requires: a fork, a personal workflow, or a compromised build.",
		Fix: "Build the image with the builder and from the repository the policy names, or correct the policy's " +
			"builderID and sourceRepository.",
		Reads: policyReads,
		Refs:  provenanceRefs,
	},
	Inventory: attestationFailed,
	Needs:     inventory.WorkloadKinds,
	Images:    true,
	Active:    (*check.Options).ImageFacts,
}

func init() { check.Register(AttestationFailed) }

func attestationFailed(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, u := range withFacts(ctx, inv) {
		for i := range u.facts.Attestations {
			v := &u.facts.Attestations[i]
			failing := v.Failing()
			if v.Passed() || len(failing) == 0 {
				continue
			}
			out = append(out, u.result(fmt.Sprintf("%simage %q: the %s attestation signed by %s fails policy %s: %s",
				u.container(), u.Image, v.Name, bounded(failing[0].Identity), v.Policy, strings.Join(failing[0].Failures, "; "))))
		}
	}
	return out
}
