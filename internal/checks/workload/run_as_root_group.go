package workload

import (
	"fmt"
	"slices"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// RunAsRootGroup reports pods and containers that put their processes or
// volumes in the root group (GID 0).
//
// Reads: spec.securityContext.runAsGroup, spec.securityContext.fsGroup,
// spec.securityContext.supplementalGroups,
// spec.initContainers[*].securityContext.runAsGroup,
// spec.containers[*].securityContext.runAsGroup, spec.os.name,
// spec.hostUsers.
// Allows: any non-zero GID, and unset fields (the image's group then
// decides, which kubeward cannot see). Pods in a user namespace
// (hostUsers: false) are skipped: GID 0 there is not GID 0 on the node.
// Windows pods and ephemeral containers are skipped.
var RunAsRootGroup = &check.Check{
	Meta: check.Meta{
		ID:       "run-as-root-group",
		Title:    "Pod runs with the root group",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Files of the node and of other containers are often writable or readable by group 0 " +
			"(root-owned sockets, device nodes, mounted host paths, shared volumes). A process whose primary " +
			"or supplementary group is 0, or a volume whose fsGroup is 0, gets that access as soon as a mount " +
			"or an escape exposes those files, even when the user is not root.",
		Fix: "Set runAsGroup and fsGroup to a non-zero GID and remove 0 from supplementalGroups.",
		Reads: []string{"spec.securityContext.runAsGroup", "spec.securityContext.fsGroup", "spec.securityContext.supplementalGroups",
			"spec.containers[*].securityContext.runAsGroup", "spec.initContainers[*].securityContext.runAsGroup"},
		Refs: []check.Reference{
			check.NSA("Pod security: non-root containers and rootless container engines"),
			check.CIS("5.2.7", "Minimize the admission of root containers"),
		},
		Peers: []check.Peer{check.Trivy("KSV029"), check.Trivy("KSV116")},
	},
	Pod: runAsRootGroup,
}

func init() { check.Register(RunAsRootGroup) }

func runAsRootGroup(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) || (p.Spec.HostUsers != nil && !*p.Spec.HostUsers) {
		return nil
	}
	var out []check.Result
	if psc := p.Spec.SecurityContext; psc != nil {
		if isZero(psc.RunAsGroup) {
			out = append(out, check.Result{Path: p.SpecPath.Child("securityContext", "runAsGroup"), Message: "the pod's containers run with primary group 0 (root) unless they set their own runAsGroup"})
		}
		if isZero(psc.FSGroup) {
			out = append(out, check.Result{Path: p.SpecPath.Child("securityContext", "fsGroup"), Message: "the pod's volumes are owned by group 0 (root), and every container joins that group"})
		}
		if i := slices.Index(psc.SupplementalGroups, 0); i >= 0 {
			out = append(out, check.Result{Path: p.SpecPath.Child("securityContext", "supplementalGroups").Index(i), Message: "the pod's containers join group 0 (root) as a supplementary group"})
		}
	}
	for _, c := range p.Containers() {
		if !designed(c) || c.SecurityContext == nil || !isZero(c.SecurityContext.RunAsGroup) {
			continue
		}
		out = append(out, check.Result{Path: c.Path.Child("securityContext", "runAsGroup"),
			Message: fmt.Sprintf("container %q runs with primary group 0 (root)", c.Name)})
	}
	return out
}

func isZero(v *int64) bool { return v != nil && *v == 0 }
