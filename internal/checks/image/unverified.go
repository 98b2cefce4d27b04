package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Unverified reports images that were to be judged from their registry
// (scan --images, a cluster scan with --images, the webhook) but could not
// be read: the registry is down or slower than the time budget, the tag or
// image does not exist, or the credentials were refused.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID).
// Allows: images the registry answered for. An image an OpenShift image
// trigger writes from an ImageStreamTag is not looked up (only the cluster
// resolves it): the coverage gap image-stream-tag. Active when the configuration
// holds image policies. Severity follows
// images.onRegistryError: critical for deny (the default), medium for warn.
var Unverified = &check.Check{
	Meta: check.Meta{
		ID:       "image-unverified",
		Title:    "Image could not be read from its registry",
		Severity: check.Critical,
		Category: check.CategoryImage,
		Rationale: "Signatures, attestations and known vulnerabilities are judged from the registry. An image that " +
			"could not be read was not judged, and an unjudged image is not a passing one: a registry outage or a " +
			"missing credential must not open the gate.",
		Fix: "Make the registry reachable with pull credentials (docker login or a credential helper in CI; the " +
			"workload's imagePullSecrets or service account in a cluster), or fix the reference. While a registry " +
			"is known to be down, images.onRegistryError: warn turns this into a warning.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image", "status.containerStatuses[*].imageID (live pods)"},
		Refs:  []check.Reference{check.NSA("Pod security: building secure container images")},
	},
	Inventory: unverified,
	Needs:     inventory.WorkloadKinds,
	Images:    true,
	Active:    (*check.Options).ImageFacts,
}

func init() { check.Register(Unverified) }

func unverified(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	sev := check.Critical
	if ctx.Options.ImageOnRegistryError == "warn" {
		sev = check.Medium
	}
	var out []check.Result
	for _, u := range withFacts(ctx, inv) {
		if u.facts.Error == "" {
			continue
		}
		r := u.result(fmt.Sprintf("%simage %q could not be read: %s", u.container(), u.Image, bounded(u.facts.Error)))
		r.Severity = sev
		out = append(out, r)
	}
	// Said once per container, by the check every image facts run selects.
	for _, p := range inv.Pods() {
		for _, u := range triggered(ctx, p) {
			out = append(out, u.gap(p, "its digest, signatures, attestations and vulnerabilities were"))
		}
	}
	return out
}
