package workload

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// CapabilitiesDropAll requires every container to drop all Linux
// capabilities, adding back only the few it needs.
//
// Reads: spec.initContainers[*].securityContext.capabilities.drop,
// spec.containers[*].securityContext.capabilities.drop, spec.os.name.
// Allows: a drop list holding "ALL", in any case (containerd and CRI-O
// compare it case-insensitively). Privileged containers are skipped: they
// hold every capability whatever is dropped, and the baseline Pod Security
// check reports them. So are Windows pods and ephemeral containers. Steps aside when the restricted Pod
// Security level is enforced: its capabilities check reports the same thing.
var CapabilitiesDropAll = &check.Check{
	Meta: check.Meta{
		ID:       "capabilities-drop-all",
		Title:    "Container does not drop all capabilities",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Container runtimes grant a default set of capabilities, among them NET_RAW (forge packets, " +
			"spoof ARP and DNS inside the node's network) and CHOWN, DAC_OVERRIDE, SETUID and SETGID, which widen " +
			"what a compromised process can do and which kernel bugs it can reach. Most applications need none of them.",
		Fix: "Set securityContext.capabilities.drop: [\"ALL\"] and add back only what the process needs, " +
			"for example capabilities.add: [\"NET_BIND_SERVICE\"] to listen on a port below 1024.",
		Reads: []string{"spec.containers[*].securityContext.capabilities.drop", "spec.initContainers[*].securityContext.capabilities.drop"},
		Peers: []check.Peer{check.Trivy("KSV003"), check.Trivy("KSV004").Differs("Trivy accepts dropping any one capability; kubeward wants ALL"), check.KubeLinter("drop-net-raw-capability").Differs("kube-linter wants NET_RAW dropped; dropping ALL does that and more")},
		Refs: []check.Reference{
			check.CIS("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
			check.CIS("5.2.9", "Minimize the admission of containers with capabilities assigned"),
			check.NSA("Pod security: hardening container environments"),
			check.PSS("restricted", "Capabilities"),
		},
	},
	Pod:    capabilitiesDropAll,
	Active: func(o *check.Options) bool { return o.PSSLevel != "restricted" },
}

func init() { check.Register(CapabilitiesDropAll) }

func capabilitiesDropAll(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) {
		return nil
	}
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) || privileged(c) {
			continue
		}
		var drop []corev1.Capability
		if sc := c.SecurityContext; sc != nil && sc.Capabilities != nil {
			drop = sc.Capabilities.Drop
		}
		if dropsAll(drop) {
			continue
		}
		msg := fmt.Sprintf("container %q keeps the runtime's default capabilities", c.Name)
		if len(drop) > 0 {
			names := make([]string, len(drop))
			for i, d := range drop {
				names[i] = string(d)
			}
			msg = fmt.Sprintf("container %q drops only %s, not ALL", c.Name, strings.Join(names, ", "))
		}
		out = append(out, check.Result{Path: c.Path.Child("securityContext", "capabilities", "drop"), Message: msg})
	}
	return out
}

func dropsAll(drop []corev1.Capability) bool {
	for _, d := range drop {
		if strings.EqualFold(string(d), "ALL") {
			return true
		}
	}
	return false
}
