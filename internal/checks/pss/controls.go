package pss

import (
	"github.com/kubeward/kubeward/internal/check"
	"k8s.io/pod-security-admission/policy"
)

// control describes one upstream check for people. The decision itself is
// always upstream's; a test fails when upstream adds a check missing here.
type control struct {
	slug      string
	title     string
	pssName   string // the control's name in the Pod Security Standards
	severity  check.Severity
	rationale string
	fix       string
	reads     []string
	cis       []check.Reference
	peers     []check.Peer
}

var controls = map[policy.CheckID]control{
	"privileged": {
		slug: "privileged", title: "Privileged container", pssName: "Privileged Containers", severity: check.Critical,
		rationale: "A privileged container has every capability and access to all host devices: it is root on the node.",
		fix:       "Remove securityContext.privileged or set it to false; grant only the specific capabilities the workload needs.",
		reads:     []string{"spec.containers[*].securityContext.privileged", "spec.initContainers[*].securityContext.privileged", "spec.ephemeralContainers[*].securityContext.privileged"},
		cis:       []check.Reference{check.CIS("5.2.2", "Minimize the admission of privileged containers")},
		peers:     []check.Peer{check.Trivy("KSV017"), check.Kubescape("C-0057"), check.Polaris("runAsPrivileged"), check.KubeLinter("privileged-container")},
	},
	"hostNamespaces": {
		slug: "host-namespaces", title: "Pod shares host namespaces", pssName: "Host Namespaces", severity: check.High,
		rationale: "hostNetwork, hostPID and hostIPC let the pod see and talk to the node's processes, network interfaces and shared memory, bypassing network policies and process isolation.",
		fix:       "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
		reads:     []string{"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"},
		cis: []check.Reference{check.CIS("5.2.3", "Minimize the admission of containers wishing to share the host process ID namespace"),
			check.CIS("5.2.4", "Minimize the admission of containers wishing to share the host IPC namespace"),
			check.CIS("5.2.5", "Minimize the admission of containers wishing to share the host network namespace")},
		peers: []check.Peer{check.Trivy("KSV008"), check.Trivy("KSV009"), check.Trivy("KSV010"), check.Kubescape("C-0038"), check.Kubescape("C-0041"), check.Polaris("hostIPCSet"), check.Polaris("hostPIDSet"), check.Polaris("hostNetworkSet"), check.KubeLinter("host-ipc"), check.KubeLinter("host-pid"), check.KubeLinter("host-network")},
	},
	"hostPathVolumes": {
		slug: "host-path-volumes", title: "hostPath volume", pssName: "HostPath Volumes", severity: check.High,
		rationale: "A hostPath volume exposes the node's filesystem to the pod; writable mounts of sensitive paths lead to node takeover.",
		fix:       "Use persistent volumes, emptyDir, ConfigMaps or CSI volumes instead of hostPath.",
		reads:     []string{"spec.volumes[*].hostPath"},
		cis:       []check.Reference{check.CIS("5.2.11", "Minimize the admission of HostPath volumes")},
		peers:     []check.Peer{check.Trivy("KSV023"), check.Kubescape("C-0048")},
	},
	"hostPorts": {
		slug: "host-ports", title: "Container uses host ports", pssName: "Host Ports", severity: check.Medium,
		rationale: "A hostPort binds directly on the node, bypassing Service load balancing and NetworkPolicy for traffic reaching the node, and limits scheduling.",
		fix:       "Remove hostPort and expose the container through a Service.",
		reads:     []string{"spec.containers[*].ports[*].hostPort", "spec.initContainers[*].ports[*].hostPort"},
		cis:       []check.Reference{check.CIS("5.2.12", "Minimize the admission of containers which use HostPorts")},
		peers:     []check.Peer{check.Trivy("KSV024"), check.Kubescape("C-0044"), check.Polaris("hostPortSet")},
	},
	"capabilities_baseline": {
		slug: "capabilities-baseline", title: "Container adds non-default capabilities", pssName: "Capabilities", severity: check.High,
		rationale: "Capabilities beyond the container runtime's default set (for example SYS_ADMIN, NET_ADMIN) give kernel-level powers that enable container escape.",
		fix:       "Remove the extra entries from securityContext.capabilities.add.",
		reads:     []string{"spec.containers[*].securityContext.capabilities.add"},
		cis:       []check.Reference{check.CIS("5.2.9", "Minimize the admission of containers with capabilities assigned")},
		peers:     []check.Peer{check.Trivy("KSV022"), check.Kubescape("C-0046"), check.Polaris("dangerousCapabilities"), check.Polaris("insecureCapabilities")},
	},
	"capabilities_restricted": {
		slug: "capabilities-restricted", title: "Container does not drop all capabilities", pssName: "Capabilities (restricted)", severity: check.Medium,
		rationale: "The restricted profile requires dropping ALL capabilities and adding back at most NET_BIND_SERVICE.",
		fix:       "Set securityContext.capabilities.drop: [ALL] and add back only NET_BIND_SERVICE if needed.",
		reads:     []string{"spec.containers[*].securityContext.capabilities.drop", "spec.containers[*].securityContext.capabilities.add"},
		cis: []check.Reference{check.CIS("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
			check.CIS("5.2.9", "Minimize the admission of containers with capabilities assigned")},
		peers: []check.Peer{check.Trivy("KSV106")},
	},
	"appArmorProfile": {
		slug: "apparmor-profile", title: "AppArmor profile overridden", pssName: "AppArmor", severity: check.High,
		rationale: "Setting the AppArmor profile to unconfined removes a mandatory access control layer.",
		fix:       "Use the RuntimeDefault or a Localhost AppArmor profile, or leave it unset.",
		reads:     []string{"spec.securityContext.appArmorProfile", "spec.containers[*].securityContext.appArmorProfile", "metadata.annotations[container.apparmor.security.beta.kubernetes.io/*]"},
		peers:     []check.Peer{check.Trivy("KSV002")},
	},
	"seLinuxOptions": {
		slug: "selinux-options", title: "Custom SELinux options", pssName: "SELinux", severity: check.High,
		rationale: "Setting a custom SELinux user or role, or an unusual type, can disable the confinement SELinux provides.",
		fix:       "Remove seLinuxOptions.user and role, and use only the container_t, container_init_t or container_kvm_t types.",
		reads:     []string{"spec.securityContext.seLinuxOptions", "spec.containers[*].securityContext.seLinuxOptions"},
		peers:     []check.Peer{check.Trivy("KSV025")},
	},
	"procMount": {
		slug: "proc-mount", title: "Unmasked /proc mount", pssName: "/proc Mount Type", severity: check.High,
		rationale: "An Unmasked procMount exposes kernel information and controls that the default mask hides.",
		fix:       "Remove securityContext.procMount or set it to Default.",
		reads:     []string{"spec.containers[*].securityContext.procMount"},
		peers:     []check.Peer{check.Trivy("KSV027"), check.KubeLinter("unsafe-proc-mount")},
	},
	"procMount_restricted": {
		slug: "proc-mount-restricted", title: "Unmasked /proc mount", pssName: "/proc Mount Type (restricted)", severity: check.High,
		rationale: "An Unmasked procMount exposes kernel information and controls that the default mask hides.",
		fix:       "Remove securityContext.procMount or set it to Default.",
		reads:     []string{"spec.containers[*].securityContext.procMount"},
	},
	"seccompProfile_baseline": {
		slug: "seccomp-profile-baseline", title: "Seccomp explicitly unconfined", pssName: "Seccomp", severity: check.High,
		rationale: "An Unconfined seccomp profile lets the container make every system call, widening the kernel attack surface.",
		fix:       "Set seccompProfile.type to RuntimeDefault or Localhost.",
		reads:     []string{"spec.securityContext.seccompProfile", "spec.containers[*].securityContext.seccompProfile"},
		cis:       []check.Reference{check.CIS("5.6.2", "Ensure that the seccomp profile is set to docker/default in your Pod definitions")},
		peers:     []check.Peer{check.Trivy("KSV104")},
	},
	"seccompProfile_restricted": {
		slug: "seccomp-profile-restricted", title: "Seccomp profile not set", pssName: "Seccomp (restricted)", severity: check.Medium,
		rationale: "Without a seccomp profile the container may call every system call; the restricted profile requires RuntimeDefault or Localhost.",
		fix:       "Set spec.securityContext.seccompProfile.type: RuntimeDefault (pod level covers all containers).",
		reads:     []string{"spec.securityContext.seccompProfile", "spec.containers[*].securityContext.seccompProfile"},
		cis:       []check.Reference{check.CIS("5.6.2", "Ensure that the seccomp profile is set to docker/default in your Pod definitions")},
		peers:     []check.Peer{check.Trivy("KSV030")},
	},
	"sysctls": {
		slug: "sysctls", title: "Unsafe sysctls", pssName: "Sysctls", severity: check.High,
		rationale: "Sysctls outside the safe set change kernel settings shared with other pods on the node.",
		fix:       "Remove sysctls that are not in the safe set from spec.securityContext.sysctls.",
		reads:     []string{"spec.securityContext.sysctls"},
		peers:     []check.Peer{check.Trivy("KSV026"), check.KubeLinter("unsafe-sysctls")},
	},
	"windowsHostProcess": {
		slug: "windows-host-process", title: "Windows HostProcess container", pssName: "HostProcess", severity: check.Critical,
		rationale: "A Windows HostProcess container runs directly on the host with full access.",
		fix:       "Remove windowsOptions.hostProcess or set it to false.",
		reads:     []string{"spec.securityContext.windowsOptions.hostProcess", "spec.containers[*].securityContext.windowsOptions.hostProcess"},
		cis:       []check.Reference{check.CIS("5.2.10", "Minimize the admission of Windows HostProcess containers")},
		peers:     []check.Peer{check.Trivy("KSV103")},
	},
	"hostProbesAndHostLifecycle": {
		slug: "host-probes-and-lifecycle", title: "Probe or lifecycle hook targets another host", pssName: "Probes / Lifecycle Hooks", severity: check.Medium,
		rationale: "A host field in a probe or lifecycle handler makes the kubelet send requests to an arbitrary host, which can reach services the pod could not.",
		fix:       "Remove the host field from httpGet and tcpSocket handlers of probes and lifecycle hooks.",
		reads:     []string{"spec.containers[*].livenessProbe", "spec.containers[*].readinessProbe", "spec.containers[*].startupProbe", "spec.containers[*].lifecycle"},
	},
	"allowPrivilegeEscalation": {
		slug: "allow-privilege-escalation", title: "Privilege escalation allowed", pssName: "Privilege Escalation", severity: check.Medium,
		rationale: "Without allowPrivilegeEscalation: false, a process can gain more privileges than its parent through setuid binaries.",
		fix:       "Set securityContext.allowPrivilegeEscalation: false on every container.",
		reads:     []string{"spec.containers[*].securityContext.allowPrivilegeEscalation"},
		cis:       []check.Reference{check.CIS("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation")},
	},
	"restrictedVolumes": {
		slug: "restricted-volumes", title: "Volume type not allowed by the restricted profile", pssName: "Volume Types", severity: check.Medium,
		rationale: "The restricted profile allows only volume types that cannot expose the node: configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret, image.",
		fix:       "Replace the volume with an allowed type (usually a persistentVolumeClaim).",
		reads:     []string{"spec.volumes[*]"},
		peers:     []check.Peer{check.Trivy("KSV028")},
	},
	"runAsNonRoot": {
		slug: "run-as-non-root", title: "Containers may run as root", pssName: "Running as Non-root", severity: check.Medium,
		rationale: "A container running as UID 0 is root inside the container and, after an escape, often on the node.",
		fix:       "Set spec.securityContext.runAsNonRoot: true (and a non-zero runAsUser if the image has no USER).",
		reads:     []string{"spec.securityContext.runAsNonRoot", "spec.containers[*].securityContext.runAsNonRoot", "spec.hostUsers"},
		cis:       []check.Reference{check.CIS("5.2.7", "Minimize the admission of root containers")},
	},
	"runAsUser": {
		slug: "run-as-user", title: "Container runs as UID 0", pssName: "Running as Non-root user", severity: check.Medium,
		rationale: "runAsUser: 0 runs the container as root, defeating runAsNonRoot.",
		fix:       "Set runAsUser to a non-zero UID.",
		reads:     []string{"spec.securityContext.runAsUser", "spec.containers[*].securityContext.runAsUser"},
		cis:       []check.Reference{check.CIS("5.2.7", "Minimize the admission of root containers")},
		peers:     []check.Peer{check.Trivy("KSV105")},
	},
}
