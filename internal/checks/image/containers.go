package image

import (
	"github.com/kubeward/kubeward/internal/inventory"
)

// use is one container's image, parsed.
type use struct {
	inventory.Container
	ref ref
	err error // the reference cannot be parsed
}

// images lists the images of a pod's init and regular containers. Ephemeral
// (debug) containers are added by people on purpose, later, and an empty
// image is left for a controller or an admission webhook to fill in.
func images(p *inventory.Pod) []use {
	var out []use
	for _, c := range p.Containers() {
		if c.Kind == "ephemeralContainers" || c.Image == "" {
			continue
		}
		r, err := parseRef(c.Image)
		out = append(out, use{Container: c, ref: r, err: err})
	}
	return out
}
