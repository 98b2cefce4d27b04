package image

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/inventory"
)

// factsUse is one container's image with what its registry said.
type factsUse struct {
	use
	pod   *inventory.Pod
	facts *facts.Facts
}

// withFacts lists the images of the inventory's pods that have facts
// (references that parse; the resolver judged each once). Pods run by a
// controller in the inventory are judged through their controller.
func withFacts(ctx *check.Context, inv *inventory.Inventory) []factsUse {
	set := inv.Images()
	var out []factsUse
	for _, p := range inv.Pods() {
		for _, u := range images(ctx, p) {
			if f, ok := set.Lookup(u.Image); ok && u.err == nil {
				out = append(out, factsUse{use: u, pod: p, facts: f})
			}
		}
	}
	return out
}

// result is a finding at the container's image line.
func (u factsUse) result(msg string) check.Result {
	return check.Result{Object: u.pod.Object, Pod: u.pod, Path: u.Path.Child("image"), Image: u.Image, Message: msg}
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
