package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// PrivilegedPort reports containers that declare a port below 1024.
//
// Reads: spec.containers[*].ports[*].containerPort (init containers too),
// spec.os.name.
// Allows: ports from 1024 up. Host ports are left to pss-host-ports, and
// Windows pods (which have no privileged ports) and ephemeral containers
// are skipped.
var PrivilegedPort = &check.Check{
	Meta: check.Meta{
		ID:       "privileged-port",
		Title:    "Container listens on a port below 1024",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Binding a port below 1024 takes root or the NET_BIND_SERVICE capability on runtimes that " +
			"keep the kernel's default unprivileged port range, so such a container is usually built to run " +
			"as root or to keep a capability it needs for nothing else. A Service can publish port 80 or 443 " +
			"while the container listens on a high port.",
		Fix: "Listen on a port from 1024 up (8080, 8443) and map the well-known port in the Service " +
			"(port: 80, targetPort: 8080).",
		Reads: []string{"spec.containers[*].ports[*].containerPort", "spec.initContainers[*].ports[*].containerPort"},
		Refs:  []check.Reference{check.NSA("Pod security: non-root containers and rootless container engines")},
		Peers: []check.Peer{check.Trivy("KSV117"), check.KubeLinter("privileged-ports")},
	},
	Pod: privilegedPort,
}

func init() { check.Register(PrivilegedPort) }

func privilegedPort(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) {
		return nil
	}
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) {
			continue
		}
		for j, port := range c.Ports {
			if port.ContainerPort > 0 && port.ContainerPort < 1024 {
				out = append(out, check.Result{Path: c.Path.Child("ports").Index(j).Child("containerPort"),
					Message: fmt.Sprintf("container %q listens on port %d, below 1024", c.Name, port.ContainerPort)})
			}
		}
	}
	return out
}
