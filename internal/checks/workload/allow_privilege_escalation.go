package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// AllowPrivilegeEscalation requires every container to set
// allowPrivilegeEscalation: false, which makes the runtime set no_new_privs
// so that setuid binaries and file capabilities cannot raise privileges.
//
// Reads: spec.initContainers[*].securityContext.allowPrivilegeEscalation,
// spec.containers[*].securityContext.allowPrivilegeEscalation, spec.os.name.
// Allows: false. Unset means true. Skipped: privileged containers and those
// adding "CAP_SYS_ADMIN" (the API rejects false for them, and the baseline Pod
// Security checks report them), Windows pods, ephemeral containers. Steps
// aside when the restricted Pod Security level is enforced: its
// allowPrivilegeEscalation check reports the same thing.
var AllowPrivilegeEscalation = &check.Check{
	Meta: check.Meta{
		ID:       "allow-privilege-escalation",
		Title:    "Container allows privilege escalation",
		Severity: check.Medium,
		Category: check.CategoryWorkload,
		Rationale: "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent " +
			"through setuid or setgid binaries and file capabilities (for example sudo or ping in the image), which " +
			"turns a foothold as a non-root user into root inside the container.",
		Fix:   "Set securityContext.allowPrivilegeEscalation: false on every container.",
		Reads: []string{"spec.containers[*].securityContext.allowPrivilegeEscalation", "spec.initContainers[*].securityContext.allowPrivilegeEscalation"},
		Peers: []check.Peer{check.Trivy("KSV001"), check.Kubescape("C-0016"), check.Polaris("privilegeEscalationAllowed"), check.KubeLinter("privilege-escalation-container")},
		Refs: []check.Reference{
			check.CIS("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"),
			check.NSA("Pod security: non-root containers and rootless container engines"),
			check.PSS("restricted", "Privilege Escalation"),
		},
	},
	Pod:    allowPrivilegeEscalation,
	Active: func(o *check.Options) bool { return o.PSSLevel != "restricted" },
}

func init() { check.Register(AllowPrivilegeEscalation) }

func allowPrivilegeEscalation(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) {
		return nil
	}
	var out []check.Result
	for _, c := range p.Containers() {
		if !designed(c) || privileged(c) || addsSysAdmin(c) {
			continue
		}
		sc := c.SecurityContext
		if sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			continue
		}
		msg := fmt.Sprintf("container %q may gain privileges through setuid binaries: allowPrivilegeEscalation is not set to false", c.Name)
		if sc != nil && sc.AllowPrivilegeEscalation != nil {
			msg = fmt.Sprintf("container %q sets allowPrivilegeEscalation: true", c.Name)
		}
		out = append(out, check.Result{Path: c.Path.Child("securityContext", "allowPrivilegeEscalation"), Message: msg})
	}
	return out
}

// addsSysAdmin mirrors the API's validation, which rejects
// allowPrivilegeEscalation: false next to an added "CAP_SYS_ADMIN" (that exact
// spelling; "SYS_ADMIN" passes, and then no_new_privs is set).
func addsSysAdmin(c inventory.Container) bool {
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		return false
	}
	for _, a := range sc.Capabilities.Add {
		if a == "CAP_SYS_ADMIN" {
			return true
		}
	}
	return false
}
