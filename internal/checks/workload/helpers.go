package workload

import (
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// designed reports whether a container is part of the manifest's design.
// Ephemeral (debug) containers are added by people on purpose, later.
func designed(c inventory.Container) bool { return c.Kind != "ephemeralContainers" }

// isWindows reports whether the pod declares Windows nodes: Linux security
// settings (users, capabilities, no_new_privs) do not apply there, and the
// Pod Security Standards exempt such pods from the same controls.
func isWindows(p *inventory.Pod) bool {
	return p.Spec.OS != nil && strings.EqualFold(string(p.Spec.OS.Name), string(corev1.Windows))
}

// privileged reports whether the container runs privileged: it then has
// every capability and can escalate whatever else is set, and the baseline
// Pod Security check reports it.
func privileged(c inventory.Container) bool {
	sc := c.SecurityContext
	return sc != nil && sc.Privileged != nil && *sc.Privileged
}

// securityContextField is where a securityContext field that decides for a
// container is written: in the container's own when it sets the field
// (own), else in the pod's. Checks call it only for a finding: most
// containers pass, and a path costs allocations.
func securityContextField(p *inventory.Pod, c inventory.Container, own bool, field string) *fieldpath.Path {
	if own {
		return c.Path.Child("securityContext", field)
	}
	return p.SpecPath.Child("securityContext", field)
}

// quoteList renders names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
