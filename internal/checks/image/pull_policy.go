package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// PullPolicyNotAlways reports containers whose image needs pull
// credentials but that may start from a copy the node already holds.
// Opt-in: pulling on every start costs registry traffic and start-up time,
// a trade some clusters make with the AlwaysPullImages admission plugin or
// the kubelet's credential verification instead.
//
// Reads: spec.{initContainers,containers,ephemeralContainers}[*].image and
// imagePullPolicy, spec.imagePullSecrets.
// Allows: an effective pull policy of Always (set, or defaulted by the API
// server for a :latest or untagged image), and images that need no
// credentials: an image counts as private when the pod names
// imagePullSecrets or its registry matches images.privateRegistries of the
// configuration. References that cannot be parsed are skipped.
// An image an OpenShift image trigger writes (a DeploymentConfig's
// ImageChange trigger, the image.openshift.io/triggers annotation) is not
// judged by what the manifest holds: OpenShift replaces it with the
// ImageStreamTag's image, by digest.
var PullPolicyNotAlways = &check.Check{
	Meta: check.Meta{
		ID:       "image-pull-policy-not-always",
		Title:    "Private image may run from the node's cache without credentials",
		Severity: check.Medium,
		Category: check.CategoryImage,
		Rationale: "With imagePullPolicy IfNotPresent or Never, the kubelet starts a container from an image already " +
			"on the node without asking the registry. Any pod scheduled there, from any namespace and without the " +
			"pull secret, can then run a private image another tenant pulled, and read what it holds.",
		Fix: "Set imagePullPolicy: Always on containers of private images, or enable the AlwaysPullImages " +
			"admission plugin (or the kubelet's KubeletEnsureSecretPulledImages verification) for the cluster.",
		Reads: []string{"spec.containers[*].image", "spec.containers[*].imagePullPolicy", "spec.initContainers[*].imagePullPolicy", "spec.ephemeralContainers[*].imagePullPolicy", "spec.imagePullSecrets"},
		Refs: []check.Reference{
			check.CIS("1.2.11", "Ensure that the admission control plugin AlwaysPullImages is set"),
			check.NSA("Pod security: building secure container images"),
		},
		Peers: []check.Peer{
			check.Polaris("pullPolicyNotAlways").Differs("Polaris reports every container that does not write imagePullPolicy: Always, even an untagged or :latest one the API server defaults to Always; kubeward judges the effective policy, only for images that need credentials, and only when selected"),
			check.Kubescape("C-0075").Differs("kubescape reports :latest images without Always; kubeward leaves mutable tags to image-latest-tag and judges private images"),
		},
		OptIn: true,
	},
	Pod: pullPolicyNotAlways,
}

func init() { check.Register(PullPolicyNotAlways) }

type privateKey struct{}

func pullPolicyNotAlways(ctx *check.Context, p *inventory.Pod) []check.Result {
	private := ctx.Memo(privateKey{}, func() any { return parseAllowlist(ctx.Options.PrivateRegistries) }).(allowlist)
	var out []check.Result
	for _, u := range images(ctx, p) {
		if u.err != nil {
			continue
		}
		policy := effectivePullPolicy(u.ImagePullPolicy, u.ref)
		if policy == corev1.PullAlways {
			continue
		}
		why := ""
		switch {
		case private.allows(u.ref):
			why = "its registry is listed in images.privateRegistries"
		case len(p.Spec.ImagePullSecrets) > 0:
			why = "the pod pulls with imagePullSecrets"
		default:
			continue
		}
		set := "defaults to"
		if u.ImagePullPolicy != "" {
			set = "is"
		}
		out = append(out, check.Result{Path: u.Path.Child("imagePullPolicy"),
			Message: fmt.Sprintf("container %q: image %q needs credentials (%s) but its pull policy %s %s, so a pod without them can run the node's copy",
				u.Name, u.Image, why, set, policy)})
	}
	return out
}

// effectivePullPolicy is the policy the API server defaults to: Always for
// a :latest tag or an untagged, undigested image, IfNotPresent otherwise.
func effectivePullPolicy(set corev1.PullPolicy, r ref) corev1.PullPolicy {
	switch {
	case set != "":
		return set
	case r.Tag == "latest" || (r.Tag == "" && r.Digest == ""):
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}
