package inventory

import (
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	corev1 "k8s.io/api/core/v1"
)

// RunningKey names a container of a pod spec to judge (Pods()).
type RunningKey struct {
	Object    *Object
	Container string
}

// RunningImages maps the containers of the pod specs to judge to the
// images their live pods report running, as repository@digest (from
// status.containerStatuses[].imageID, init containers included; the
// repository is the spec's, whose credentials pulled it), sorted. A live
// Pod lends its digests to the controller in the inventory that stands
// for it (a Pod of a ReplicaSet of a Deployment, to the Deployment). A tag
// may have moved since the pods pulled it: these are what runs. Image IDs
// without a repository digest (a runtime's local image ID) are left out.
// Only live objects carry a status: empty for manifests.
func (inv *Inventory) RunningImages() map[RunningKey][]string {
	out := map[RunningKey][]string{}
	for _, p := range inv.AllPods() {
		pod, ok := p.Object.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
		statuses := append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...)
		if len(statuses) == 0 {
			continue
		}
		root := inv.root(p.Object)
		specs := map[string]string{}
		for _, rp := range root.Pods() {
			for _, c := range rp.Containers() {
				specs[c.Name] = c.Image
			}
		}
		for _, st := range statuses {
			ref, ok := runningRef(specs[st.Name], st.ImageID)
			if !ok {
				continue
			}
			k := RunningKey{Object: root, Container: st.Name}
			if !slices.Contains(out[k], ref) {
				out[k] = append(out[k], ref)
			}
		}
	}
	for _, refs := range out {
		slices.Sort(refs)
	}
	return out
}

// root follows an object's controllers to the one that stands for it.
func (inv *Inventory) root(o *Object) *Object {
	// A controller chain is two links (Pod, ReplicaSet, Deployment); the
	// bound stops a cycle of owner references.
	for range 8 {
		if o.Controller == nil {
			return o
		}
		owner := inv.Get(o.Controller.GroupKind(), o.Controller.Namespace, o.Controller.Name)
		if owner == nil {
			return o
		}
		o = owner
	}
	return o
}

// runningRef joins the spec image's repository and the digest of an
// image ID ("docker-pullable://nginx@sha256:...", "ghcr.io/a/b@sha256:...").
func runningRef(specImage, imageID string) (string, bool) {
	i := strings.LastIndex(imageID, "@")
	if specImage == "" || i < 0 {
		return "", false
	}
	named, err := reference.ParseNormalizedNamed(specImage)
	if err != nil {
		return "", false
	}
	d := digest.Digest(imageID[i+1:])
	if d.Validate() != nil {
		return "", false
	}
	ref, err := reference.WithDigest(reference.TrimNamed(named), d)
	if err != nil {
		return "", false
	}
	return ref.String(), true
}
