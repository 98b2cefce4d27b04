package detect

import (
	"github.com/kubeward/kubeward/internal/check"
)

// podExec detects exec and attach into pods (Falco: Attach/Exec Pod).
//
// Reads: verb, objectRef (pods, subresource exec or attach, namespace,
// name), requestURI (command, container), the authorization decision and
// response code; and, to know which pods run privileged, the request body
// of pod creations and pod deletions.
//
// Fires on every authorized exec or attach, whether it reached the kubelet
// or not: kubectl sends POST (verb create) over SPDY and GET (verb get) over
// WebSockets, and an attempt that fails after authorization (pod not
// running, kubelet unreachable) still shows a credential that can run
// commands in the pod. The severity is raised to critical when the target
// pod was created privileged or in a host namespace earlier in the stream.
func podExec() Rule {
	return Rule{
		Meta: Meta{
			ID:       "pod-exec",
			Title:    "Exec or attach into a pod",
			Severity: check.Medium,
			MITRE:    []Technique{tContainerAdminCommand},
			Fires:    "an authorized exec or attach request to a pod, successful or not",
			Reads:    []string{"verb", "objectRef", "requestURI", "annotations", "responseStatus.code", "requestObject (pods create)"},
			Fix:      "Confirm the person and purpose; restrict pods/exec and pods/attach to break-glass roles, prefer ephemeral debug containers with audit trails.",
		},
		New: func(o *Options) Machine { return &execMachine{hostile: newBounded[string, string](o.MaxTracked)} },
	}
}

type execMachine struct {
	// hostile maps namespace/name of pods created privileged or in host
	// namespaces to the reason.
	hostile *bounded[string, string]
}

func (m *execMachine) Observe(v *View) *Hit {
	ev := v.Event
	switch {
	case ev.Is("", "pods") && ev.Verb == "create" && ev.Succeeded():
		spec, cs, _ := newContainers(v)
		if spec == nil {
			return nil
		}
		name, _ := podTarget(v)
		if why := hostileSpec(spec, cs); why != "" {
			m.hostile.set(ev.Namespace()+"/"+name, why)
		}
		return nil
	case ev.Is("", "pods") && ev.Verb == "delete":
		m.hostile.delete(ev.Namespace() + "/" + ev.Name())
		return nil
	}
	if ev.Verb != "create" && ev.Verb != "get" {
		return nil
	}
	sub := ev.Subresource()
	if ev.Resource() != "pods" || ev.APIGroup() != "" || (sub != "exec" && sub != "attach") || !ev.Allowed() {
		return nil
	}
	h := hit(sub+" into pod "+ev.Namespace()+"/"+ev.Name(),
		"command", commandOf(ev.RequestURI), "container", queryParam(ev.RequestURI, "container"))
	if why, ok := m.hostile.get(ev.Namespace() + "/" + ev.Name()); ok {
		h.Severity = check.Critical
		h.Message += " (a " + why + " pod)"
		h.Details["target"] = why
	}
	if !ev.Succeeded() {
		h.Message += " — authorized; the connection to the container failed"
	}
	return h
}

// hostileSpec says why a pod spec gives its containers the host, or "".
func hostileSpec(spec *podSpec, cs []*container) string {
	for _, c := range cs {
		if c.privileged() {
			return "privileged"
		}
	}
	switch {
	case spec.HostPID:
		return "hostPID"
	case spec.HostNetwork:
		return "hostNetwork"
	case spec.HostIPC:
		return "hostIPC"
	}
	return ""
}
