package image

import (
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

// images lists the images of a pod's init, regular and ephemeral
// containers. Ephemeral (debug) containers are judged like the others, as
// Checkov and Kyverno judge them: kubectl debug runs one in the pod's
// namespaces, with its volumes, and an image check that skipped them could
// be bypassed by anyone allowed to patch pods/ephemeralcontainers. An empty
// image is left for a controller or an admission webhook to fill in. The
// list is shared by the run's callers: read it, never write to it.
func images(ctx *check.Context, p *inventory.Pod) []use {
	return ctx.Memo(imagesKey{p}, func() any { return listImages(ctx, p) }).([]use)
}

func listImages(ctx *check.Context, p *inventory.Pod) []use {
	cs := p.Containers()
	out := make([]use, 0, len(cs))
	for _, c := range cs {
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
		out = append(out, use{Container: c, ref: pr.ref, err: pr.err})
	}
	return out
}
