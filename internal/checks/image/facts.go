package image

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
)

// factsUse is one container's image with what its registry said.
type factsUse struct {
	use
	pod   *inventory.Pod
	facts *facts.Facts
	// running is set when the facts are those of a digest the live pods
	// run (repository@digest) rather than of the image reference.
	running string
}

// factsKey memoizes withFacts per inventory within a run.
type factsKey struct{ inv *inventory.Inventory }

// withFacts lists the images of the inventory's pods that have facts
// (references that parse; the resolver judged each once). Pods run by a
// controller in the inventory are judged through their controller. The
// list is made once per run and inventory for all the image checks (at
// admission it was a fifth of a review's time when each check made it);
// callers must not modify it.
func withFacts(ctx *check.Context, inv *inventory.Inventory) []factsUse {
	return ctx.Memo(factsKey{inv}, func() any {
		set := inv.Images()
		running := inv.RunningImages()
		var out []factsUse
		for _, p := range inv.Pods() {
			for _, u := range images(ctx, p) {
				// A local image (oci-dir:...) is no reference, yet judged.
				if u.err != nil && !p.Standalone() {
					continue
				}
				f, ok := set.Lookup(u.Image)
				if ok {
					out = append(out, factsUse{use: u, pod: p, facts: f})
				}
				// What the pods run, when the tag has moved since they
				// pulled it, is judged too.
				for _, ref := range running[inventory.RunningKey{Object: p.Object, Container: u.Name}] {
					rf, found := set.Lookup(ref)
					if found && (!ok || rf.Digest != f.Digest) {
						out = append(out, factsUse{use: u, pod: p, facts: rf, running: ref})
					}
				}
			}
		}
		return out
	}).([]factsUse)
}

// result is a finding at the container's image line; one about a digest
// the pods run says so.
func (u factsUse) result(msg string) check.Result {
	if u.running != "" {
		msg += fmt.Sprintf(" (judged: %s, which its pods run)", u.running)
	}
	r := check.Result{Object: u.pod.Object, Pod: u.pod, Path: u.Path.Child("image"), Image: u.Image, Message: msg}
	if u.pod.Standalone() {
		r.Path = nil // the finding is about the image, which has no fields
	}
	return r
}

// container begins a message with the container that runs the image, or
// with nothing for an image judged on its own (kubeward images check).
func (u factsUse) container() string {
	if u.pod.Standalone() {
		return ""
	}
	return fmt.Sprintf("container %q: ", u.Name)
}

// bounded shortens text a registry or a signature supplied, so that a
// hostile one cannot flood a report.
func bounded(s string) string {
	const max = 300
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// GapImageSignatures: an image the image policies may cover was read
// from disk (kubeward images check oci-dir:...), so its signatures and
// attestations, which live in a registry, were not checked.
const GapImageSignatures = "image-signatures"

// provenanceRefs are the references of the checks over image policies.
var provenanceRefs = []check.Reference{
	check.CIS("5.5.1", "Configure Image Provenance using ImagePolicyWebhook admission controller"),
	check.NSA("Pod security: building secure container images"),
}

// policyReads is what the checks over image policies read.
var policyReads = []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image", "status.containerStatuses[*].imageID (live pods)", "images.policies (the configuration)"}

// signatureCheck builds a check that reports the images a policy's
// signers have not signed, for the one outcome that best explains it.
func signatureCheck(meta check.Meta, outcome facts.Outcome, message func(u factsUse, v *facts.SignatureVerdict) string) *check.Check {
	meta.Category, meta.Reads = check.CategoryImage, policyReads
	if meta.Refs == nil {
		meta.Refs = provenanceRefs
	}
	return &check.Check{
		Meta: meta,
		Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
			var out []check.Result
			for _, u := range withFacts(ctx, inv) {
				// Said once per image, by the check of the plainest outcome.
				if outcome == "" && u.facts.Unverifiable != "" {
					out = append(out, check.Result{Object: u.pod.Object, Pod: u.pod, Image: u.Image, Undecided: GapImageSignatures,
						Message: "signatures and attestations (images.policies) were not checked: the image was read from disk, " +
							"and they live in its registry; check the pushed image (kubeward images check REGISTRY/REPOSITORY@DIGEST)"})
				}
				for i := range u.facts.Signatures {
					v := &u.facts.Signatures[i]
					if !v.Trusted() && v.Worst() == outcome {
						out = append(out, u.result(message(u, v)))
					}
				}
			}
			return out
		},
		Needs:  inventory.WorkloadKinds,
		Images: true,
		Active: (*check.Options).ImageFacts,
	}
}

// problems lists the distinct identities and problems of the signatures
// of an outcome, for a message.
func problems(found []facts.Signature, o facts.Outcome) string {
	seen := map[string]bool{}
	var out []string
	for _, s := range found {
		if s.Outcome != o {
			continue
		}
		p := s.Problem
		if p == "" {
			p = s.Identity
		}
		p = bounded(p) + " (" + s.Layout + ")"
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return strings.Join(out, "; ")
}

// signers names the trusted signers of a policy for a message.
func signers(v *facts.SignatureVerdict) string {
	if len(v.Signers) > 3 {
		return strings.Join(v.Signers[:3], ", ") + fmt.Sprintf(" and %d more", len(v.Signers)-3)
	}
	return strings.Join(v.Signers, ", ")
}
