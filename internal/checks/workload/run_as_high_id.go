package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// highIDFloor is the highest UID or GID that the host's own accounts are
// expected to use (Debian and Red Hat hand out system and login accounts
// below it).
const highIDFloor = 10000

// RunAsHighID reports containers whose effective user or group id is at or
// below 10000, or not set. Opt-in: it is a policy of some hardening guides
// (kubesec, Trivy), not a property every cluster wants.
//
// Reads: spec.securityContext.runAsUser and runAsGroup,
// spec.initContainers[*].securityContext.runAsUser and runAsGroup,
// spec.containers[*].securityContext.runAsUser and runAsGroup, spec.os.name,
// spec.hostUsers.
// Allows: an effective id above 10000, the container's own field winning
// over the pod's as the kubelet resolves it. Pods in a user namespace
// (hostUsers: false) are skipped: their ids are mapped to a private range
// of the node. Windows pods and ephemeral containers are skipped.
var RunAsHighID = &check.Check{
	Meta: check.Meta{
		ID:       "run-as-high-uid-gid",
		Title:    "Container runs with a UID or GID at or below 10000",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Without user namespaces, a container's ids are the node's ids. Low ids collide with the " +
			"node's own system and login accounts, so a process that escapes, or that reaches a host mount, " +
			"acts with the files and rights of whichever host account has the same id. Unset, the image's " +
			"USER decides, and most images use root or a low id.",
		Fix: "Set securityContext.runAsUser and runAsGroup to ids above 10000 on the pod or each container, " +
			"or run the pod in a user namespace (hostUsers: false).",
		Reads: []string{"spec.securityContext.runAsUser", "spec.securityContext.runAsGroup",
			"spec.containers[*].securityContext.runAsUser", "spec.containers[*].securityContext.runAsGroup",
			"spec.initContainers[*].securityContext.runAsUser", "spec.initContainers[*].securityContext.runAsGroup"},
		Refs: []check.Reference{check.NSA("Pod security: non-root containers and rootless container engines")},
		Peers: []check.Peer{
			check.Trivy("KSV020").Differs("kubeward also accepts a runAsUser set on the pod, which the container inherits"),
			check.Trivy("KSV021").Differs("kubeward also accepts a runAsGroup set on the pod, which the container inherits"),
		},
		OptIn: true,
	},
	Pod: runAsHighID,
}

func init() { check.Register(RunAsHighID) }

func runAsHighID(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) || (p.Spec.HostUsers != nil && !*p.Spec.HostUsers) {
		return nil
	}
	var podUser, podGroup *int64
	if psc := p.Spec.SecurityContext; psc != nil {
		podUser, podGroup = psc.RunAsUser, psc.RunAsGroup
	}
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) {
			continue
		}
		user, group, ownUser, ownGroup := podUser, podGroup, false, false
		if sc := c.SecurityContext; sc != nil {
			if sc.RunAsUser != nil {
				user, ownUser = sc.RunAsUser, true
			}
			if sc.RunAsGroup != nil {
				group, ownGroup = sc.RunAsGroup, true
			}
		}
		for _, id := range [...]struct {
			what, field string
			v           *int64
			own         bool
		}{{"UID", "runAsUser", user, ownUser}, {"GID", "runAsGroup", group, ownGroup}} {
			switch {
			case id.v == nil:
				// Point at the container's own field: that is where a fix
				// for this container goes.
				out = append(out, check.Result{Path: c.Path.Child("securityContext", id.field),
					Message: fmt.Sprintf("container %q sets no %s, so the image's decides (%s above %d wanted)", c.Name, id.what, id.what, highIDFloor)})
			case *id.v <= highIDFloor:
				out = append(out, check.Result{Path: securityContextField(p, c, id.own, id.field),
					Message: fmt.Sprintf("container %q runs with %s %d, at or below %d, where the node's own accounts live", c.Name, id.what, *id.v, highIDFloor)})
			}
		}
	}
	return out
}
