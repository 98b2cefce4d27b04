package detect

import (
	"strings"
)

// newContainers returns, for an authorized pod creation, the pod spec and
// all its containers; for an authorized update of pods/ephemeralcontainers,
// the spec and only the ephemeral containers (the others already ran).
// create is true for a creation, where pod-level fields are new too.
func newContainers(v *View) (spec *podSpec, cs []*container, create bool) {
	ev := v.Event
	if !ev.Allowed() {
		return nil, nil, false
	}
	switch {
	case ev.Verb == "create" && ev.Is("", "pods"):
		p, ok := v.Pod()
		if !ok {
			return nil, nil, false
		}
		return &p.Spec, p.Spec.containers(), true
	case (ev.Verb == "update" || ev.Verb == "patch") && ev.IsSub("", "pods", "ephemeralcontainers"):
		p, ok := v.Pod()
		if !ok {
			return nil, nil, false
		}
		for i := range p.Spec.EphemeralContainers {
			cs = append(cs, &p.Spec.EphemeralContainers[i])
		}
		return &p.Spec, cs, false
	}
	return nil, nil, false
}

// allImagesIn reports whether every container's image matches p (and there
// is at least one container).
func allImagesIn(p Patterns, cs []*container) bool {
	if len(p) == 0 || len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if !p.MatchImage(c.Image) {
			return false
		}
	}
	return true
}

// podTarget names the pod of an event: namespace/name, or the generated
// name's prefix, and its owner when a controller made it.
func podTarget(v *View) (name, owner string) {
	p, ok := v.Pod()
	if !ok {
		return v.Event.Name(), ""
	}
	name = v.objectName(&p.Metadata)
	if len(p.Metadata.OwnerReferences) > 0 {
		o := p.Metadata.OwnerReferences[0]
		owner = o.Kind + "/" + o.Name
	}
	return name, owner
}

// hostFlagRule builds the rules for a pod-level host namespace flag.
func hostFlagHit(v *View, flag func(*podSpec) bool, what string) *Hit {
	spec, cs, create := newContainers(v)
	if !create || !flag(spec) || allImagesIn(v.Opts.PrivilegedImages, cs) {
		return nil
	}
	name, owner := podTarget(v)
	return hit("pod "+v.Event.Namespace()+"/"+name+" "+what,
		"images", strings.Join(images(cs), ","), "owner", owner)
}
