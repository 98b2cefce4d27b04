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

// parsedKey memoises a reference's parse for the run: the four image checks
// read every image, and real manifests repeat a few images many times.
type parsedKey string

type parsed struct {
	ref ref
	err error
}

// images lists the images of a pod's init and regular containers. Ephemeral
// (debug) containers are added by people on purpose, later, and an empty
// image is left for a controller or an admission webhook to fill in.
func images(ctx *check.Context, p *inventory.Pod) []use {
	var out []use
	for _, c := range p.Containers() {
		if c.Kind == "ephemeralContainers" || c.Image == "" {
			continue
		}
		pr := ctx.Memo(parsedKey(c.Image), func() any {
			r, err := parseRef(c.Image)
			return parsed{r, err}
		}).(parsed)
		out = append(out, use{Container: c, ref: pr.ref, err: pr.err})
	}
	return out
}
