package workload

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// appArmorAnnotationPrefix is the annotation that set a container's AppArmor
// profile before the appArmorProfile field (Kubernetes 1.30).
const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

// LinuxHardening reports containers that use none of the kernel's
// confinement mechanisms: no seccomp profile, no AppArmor profile, no
// SELinux options and no dropped capability.
//
// Reads: spec.securityContext.seccompProfile, seLinuxOptions and
// appArmorProfile; the same fields and capabilities.drop of
// spec.initContainers[*] and spec.containers[*].securityContext; the
// container.apparmor.security.beta.kubernetes.io/<container> annotations
// of the pod template; spec.os.name.
// Allows: any one mechanism, set on the pod or on the container; an
// Unconfined seccomp or AppArmor profile does not count. Privileged
// containers (the baseline Pod Security check reports them), Windows pods
// and ephemeral containers are skipped. Steps aside when the restricted Pod
// Security level is enforced: it requires a seccomp profile and dropping
// all capabilities.
var LinuxHardening = &check.Check{
	Meta: check.Meta{
		ID:       "linux-hardening",
		Title:    "Container uses no Linux hardening at all",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "Seccomp, AppArmor, SELinux and dropped capabilities each cut down what a compromised process " +
			"can ask of the kernel it shares with every other container of the node. A container with none of " +
			"them relies on the runtime's defaults alone, which on many nodes means no syscall filter at all.",
		Fix: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod and drop all capabilities " +
			"(capabilities.drop: [\"ALL\"]) in each container; add an AppArmor or SELinux profile where the nodes support one.",
		Reads: []string{"spec.securityContext.seccompProfile", "spec.securityContext.seLinuxOptions", "spec.securityContext.appArmorProfile",
			"spec.containers[*].securityContext.seccompProfile", "spec.containers[*].securityContext.seLinuxOptions",
			"spec.containers[*].securityContext.appArmorProfile", "spec.containers[*].securityContext.capabilities.drop",
			"metadata.annotations[container.apparmor.security.beta.kubernetes.io/*]"},
		Refs: []check.Reference{
			check.NSA("Pod security: hardening container environments"),
			check.CIS("5.6.2", "Ensure that the seccomp profile is set to docker/default in your Pod definitions"),
			check.CIS("5.6.3", "Apply Security Context to Your Pods and Containers"),
			check.MITRE("T1611", "Escape to Host"),
		},
		Peers: []check.Peer{check.Kubescape("C-0055").Differs("kubescape passes a whole pod when any container has an AppArmor annotation; " +
			"kubeward reads each container's own, and also the appArmorProfile field; an Unconfined profile does not count")},
	},
	Pod:    linuxHardening,
	Active: func(o *check.Options) bool { return o.PSSLevel != "restricted" },
}

func init() { check.Register(LinuxHardening) }

func linuxHardening(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) {
		return nil
	}
	if psc := p.Spec.SecurityContext; psc != nil &&
		(confinedSeccomp(psc.SeccompProfile) || psc.SELinuxOptions != nil || confinedAppArmor(psc.AppArmorProfile)) {
		return nil
	}
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) || privileged(c) {
			continue
		}
		if a, ok := p.Meta.Annotations[appArmorAnnotationPrefix+c.Name]; ok && !strings.EqualFold(a, "unconfined") {
			continue
		}
		if sc := c.SecurityContext; sc != nil && (confinedSeccomp(sc.SeccompProfile) || sc.SELinuxOptions != nil ||
			confinedAppArmor(sc.AppArmorProfile) || (sc.Capabilities != nil && len(sc.Capabilities.Drop) > 0)) {
			continue
		}
		out = append(out, check.Result{Path: c.Path.Child("securityContext"),
			Message: fmt.Sprintf("container %q has no seccomp or AppArmor profile, no SELinux options and drops no capability", c.Name)})
	}
	return out
}

func confinedSeccomp(p *corev1.SeccompProfile) bool {
	return p != nil && p.Type != corev1.SeccompProfileTypeUnconfined
}

func confinedAppArmor(p *corev1.AppArmorProfile) bool {
	return p != nil && p.Type != corev1.AppArmorProfileTypeUnconfined
}
