package image

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// use is one container's image, parsed.
type use struct {
	inventory.Container
	ref ref
	err error // the reference cannot be parsed
}

// parsedKey memoises a reference's parse for the run (across runs in the
// webhook): real manifests repeat a few images many times.
type parsedKey string

// maxLastingImage bounds the references kept across runs (the webhook's
// reviews; parsing with distribution's regular expressions was a tenth of
// its CPU): real ones are far shorter, and a key is kept.
const maxLastingImage = 512

type parsed struct {
	ref ref
	err error
}

// imagesKey memoises a pod's image list for the run: five checks and the
// image facts read it, and a review made it six times.
type imagesKey struct{ p *inventory.Pod }

// podImages are a pod's images: those judged by their reference, and those
// an OpenShift image trigger will write (its ImageStreamTag's, by digest),
// whose written value is not what runs.
type podImages struct {
	judged    []use
	triggered []triggeredUse
}

// triggeredUse is a container whose image an OpenShift image trigger
// writes.
type triggeredUse struct {
	inventory.Container
	trigger *inventory.ImageTrigger
}

// images lists the images of a pod's init, regular and ephemeral
// containers. Ephemeral (debug) containers are judged like the others, as
// Checkov and Kyverno judge them: kubectl debug runs one in the pod's
// namespaces, with its volumes, and an image check that skipped them could
// be bypassed by anyone allowed to patch pods/ephemeralcontainers. An empty
// image is left for a controller or an admission webhook to fill in; one an
// OpenShift image trigger will write is in triggered instead. The list is
// shared by the run's callers: read it, never write to it.
func images(ctx *check.Context, p *inventory.Pod) []use { return imagesOf(ctx, p).judged }

// triggered lists the containers of a pod whose image an OpenShift image
// trigger will write.
func triggered(ctx *check.Context, p *inventory.Pod) []triggeredUse {
	return imagesOf(ctx, p).triggered
}

func imagesOf(ctx *check.Context, p *inventory.Pod) *podImages {
	return ctx.Memo(imagesKey{p}, func() any { return listImages(ctx, p) }).(*podImages)
}

func listImages(ctx *check.Context, p *inventory.Pod) *podImages {
	cs := p.Containers()
	out := &podImages{judged: make([]use, 0, len(cs))}
	for _, c := range cs {
		if t := p.PendingImageTrigger(c.Container); t != nil {
			out.triggered = append(out.triggered, triggeredUse{c, t})
			continue
		}
		if c.Image == "" {
			continue
		}
		memo := ctx.Memo
		if len(c.Image) <= maxLastingImage {
			memo = ctx.LastingMemo
		}
		pr := memo(parsedKey(c.Image), func() any {
			r, err := parseRef(c.Image)
			return parsed{r, err}
		}).(parsed)
		out.judged = append(out.judged, use{Container: c, ref: pr.ref, err: pr.err})
	}
	return out
}

// GapImageStreamTag: a container's image is written by an OpenShift image
// trigger from an ImageStreamTag, which only the cluster resolves; what the
// image is (its registry, signatures, vulnerabilities) was not judged.
const GapImageStreamTag = "image-stream-tag"

// gap is the coverage gap of a triggered container for a check
// that needs to know its image.
func (u triggeredUse) gap(p *inventory.Pod, what string) check.Result {
	return check.Result{Object: p.Object, Pod: p, Path: u.Path.Child("image"), Undecided: GapImageStreamTag,
		Message: fmt.Sprintf("container %q: its image is written by OpenShift from %s (%s), resolved only in the cluster: %s not judged; judge the workload in the cluster (scan --cluster --images)",
			u.Name, u.trigger, u.trigger.Field, what)}
}
