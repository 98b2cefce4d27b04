package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// ReadOnlyRootFilesystem requires every container's root filesystem to be
// mounted read-only, so an intruder cannot drop tools or alter binaries.
//
// Reads: spec.initContainers[*].securityContext.readOnlyRootFilesystem,
// spec.containers[*].securityContext.readOnlyRootFilesystem.
// Allows: true. Ephemeral (debug) containers are not checked: they are added
// by people on purpose and are not part of a manifest's design.
var ReadOnlyRootFilesystem = &check.Check{
	Meta: check.Meta{
		ID:       "read-only-root-filesystem",
		Title:    "Container root filesystem is writable",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "A writable root filesystem lets an attacker who gains code execution install tools, " +
			"change binaries and persist inside the container.",
		Fix: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir at the paths the " +
			"application must write (for example /tmp).",
		Reads: []string{"spec.containers[*].securityContext.readOnlyRootFilesystem", "spec.initContainers[*].securityContext.readOnlyRootFilesystem"},
		Peers: []check.Peer{check.Trivy("KSV014"), check.Kubescape("C-0017"), check.Polaris("notReadOnlyRootFilesystem"), check.KubeLinter("no-read-only-root-fs")},
		Refs:  []check.Reference{check.NSA("Pod security: immutable container file systems")},
	},
	Pod: readOnlyRootFilesystem,
}

func init() { check.Register(ReadOnlyRootFilesystem) }

func readOnlyRootFilesystem(_ *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) {
			continue
		}
		if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
			continue
		}
		out = append(out, check.Result{
			Path:    c.Path.Child("securityContext", "readOnlyRootFilesystem"),
			Message: fmt.Sprintf("container %q can write to its root filesystem", c.Name),
		})
	}
	return out
}
