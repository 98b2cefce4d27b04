package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// RegistryNotAllowed reports images from registries outside
// Options.AllowedRegistries (the allowedRegistries list of the config file).
// It runs only when that list is set.
//
// Reads: spec.initContainers[*].image, spec.containers[*].image,
// spec.ephemeralContainers[*].image.
// Allows: an image whose normalised name (nginx is docker.io/library/nginx)
// matches an entry: a registry host, a host/path prefix matched by whole
// segments, or *.host for any subdomain. References that cannot be parsed
// are left to image-reference-invalid. An image an OpenShift image trigger
// writes from an ImageStreamTag has a registry only the cluster knows: the
// coverage gap image-stream-tag, never a pass. Ephemeral containers are checked
// too (as Kyverno's restrict-image-registries does): kubectl debug must not
// bring in an image from anywhere.
var RegistryNotAllowed = &check.Check{
	Meta: check.Meta{
		ID:       "image-registry-not-allowed",
		Title:    "Image comes from a registry outside the allowlist",
		Severity: check.High,
		Category: check.CategoryImage,
		Rationale: "Images from registries the organisation does not control or mirror escape its scanning, " +
			"signing and retention, and a typo-squatted or hijacked public repository runs with the workload's " +
			"privileges.",
		Fix: "Pull the image through an allowed registry (mirror or re-publish it there), or add its registry to " +
			"allowedRegistries in the kubeward configuration if it is trusted.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image"},
		Peers: []check.Peer{check.Kubescape("C-0001"), check.Kubescape("C-0078").Differs("kubescape's allowlist entries are regular expressions matched anywhere in the reference (gcr.io allows evil.example/gcr.io/app); kubeward's are hosts or host/path prefixes matched by whole segments"), check.Trivy("KSV032").Differs("Trivy's registry checks trust fixed lists (Azure, GCR, ECR, no public registries); kubeward trusts the allowedRegistries you configure"), check.Trivy("KSV033"), check.Trivy("KSV034"), check.Trivy("KSV035"),
			check.Trivy("KSV0125").Differs("Trivy trusts a host that ends with a listed registry (evilgcr.io for gcr.io); kubeward matches whole hosts, *.host for subdomains, and judges an image without a registry as docker.io's"),
		},
		Refs: []check.Reference{
			check.CIS("5.5.1", "Configure Image Provenance using ImagePolicyWebhook admission controller"),
			check.NSA("Pod security: building secure container images"),
		},
	},
	Pod:    registryNotAllowed,
	Active: func(o *check.Options) bool { return len(o.AllowedRegistries) > 0 },
}

func init() { check.Register(RegistryNotAllowed) }

type allowlistKey struct{}

func registryNotAllowed(ctx *check.Context, p *inventory.Pod) []check.Result {
	allowed := ctx.Memo(allowlistKey{}, func() any { return parseAllowlist(ctx.Options.AllowedRegistries) }).(allowlist)
	var out []check.Result
	for _, u := range images(ctx, p) {
		if u.err != nil || allowed.allows(u.ref) {
			continue
		}
		out = append(out, check.Result{
			Path: u.Path.Child("image"),
			Message: fmt.Sprintf("container %q: image %q comes from %s, which no allowed registry (%s) covers",
				u.Name, u.Image, u.ref.Name(), allowed),
		})
	}
	for _, u := range triggered(ctx, p) {
		out = append(out, u.gap(p, "its registry was"))
	}
	return out
}
