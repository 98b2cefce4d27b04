package attrib

import "github.com/kubeward/kubeward/internal/agent/event"

// Attributor fills in the pod of events.
type Attributor struct {
	Cgroups *Cgroups
	Pods    *Pods
}

// Attribute sets e.Pod when e's cgroup is a container of a known pod (a
// connection accepted by a listener carries the listener's cgroup). It
// reports whether the event is from a container at all: a container whose
// pod is unknown (not yet reported, or not this node's) is still one.
func (a *Attributor) Attribute(e *event.Event) bool {
	if e.Cgroup == 0 {
		return false
	}
	c, ok := a.Cgroups.Lookup(e.Cgroup)
	if !ok {
		return false
	}
	if a.Pods != nil {
		e.Pod = a.Pods.Lookup(c)
	}
	switch {
	case e.Pod == nil:
		e.Pod = &event.Pod{ContainerID: c.ID, UID: c.PodUID}
	case e.Pod.ContainerID == "":
		p := *e.Pod
		p.ContainerID = c.ID
		e.Pod = &p
	}
	return true
}
