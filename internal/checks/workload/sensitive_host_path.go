package workload

import (
	"fmt"
	"path"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// SensitiveHostPath reports hostPath volumes that reach what gives away the
// node: container runtime sockets, the kubelet's and etcd's data, Kubernetes
// credentials, the host's /, /etc, /proc, /sys, /root, /boot, /dev, and
// writable system binaries. It ranks them; the baseline Pod Security check
// (pss-hostPathVolumes) reports every hostPath, sensitive or not.
//
// Reads: spec.volumes[*].hostPath.path, and the volumeMounts of init and
// regular containers (readOnly, subPath).
// Each mount is judged on the path it really exposes: the volume's path
// joined with the mount's subPath, cleaned (trailing and doubled slashes,
// "." and ".."), with /var/run read as /run (a symlink on every distribution).
// A path is sensitive if it is, lies under, or contains a sensitive path: a
// mount of /var holds /var/lib/kubelet. A read-only mount lowers the
// severity where reading is less harmful than writing, but not for sockets,
// which a read-only mount does not stop. Allowed: paths not in the table
// (/var/log, /run/xtables.lock, /lib/modules read-only, CNI state ...), and
// volumes that no container mounts.
var SensitiveHostPath = &check.Check{
	Meta: check.Meta{
		ID:       "sensitive-host-path",
		Title:    "Pod mounts a sensitive host path",
		Severity: check.High,
		Category: check.CategoryWorkload,
		Rationale: "Some host paths hand over the node, and from it the cluster: the container runtime socket " +
			"starts privileged containers at will, the kubelet's directory holds its credentials and the secrets of " +
			"every pod on the node, /etc/kubernetes holds cluster-admin credentials on control-plane nodes, and " +
			"writing /proc, /sys, /etc or system binaries runs code as root on the host.",
		Fix: "Remove the hostPath volume. If the workload truly needs it (a node agent, a CSI driver), narrow " +
			"it to the exact file or directory needed, mount it readOnly where possible, run the workload in a " +
			"dedicated namespace, and suppress this check there with the reason.",
		Reads: []string{"spec.volumes[*].hostPath.path", "spec.containers[*].volumeMounts", "spec.initContainers[*].volumeMounts"},
		Peers: []check.Peer{check.Trivy("KSV006"), check.Kubescape("C-0074"), check.Kubescape("C-0045"), check.KubeLinter("docker-sock"), check.KubeLinter("sensitive-host-mounts")},
		Refs: []check.Reference{
			check.CIS("5.2.11", "Minimize the admission of HostPath volumes"),
			check.PSS("baseline", "HostPath Volumes"),
		},
	},
	Pod: sensitiveHostPath,
}

func init() { check.Register(SensitiveHostPath) }

// hostRule marks a host path. rw and ro are the severities of a writable
// and of a read-only mount; zero means not sensitive.
type hostRule struct {
	path    string
	subtree bool // the rule also covers every path below
	rw, ro  check.Severity
	what    string
}

const (
	crit = check.Critical
	high = check.High
	med  = check.Medium
)

// hostRules are the sensitive paths, /var/run written as /run. The most
// specific rule that covers a path judges it; a path that holds rules below
// it is at least as sensitive as the worst of them.
var hostRules = []hostRule{
	{"/", false, crit, crit, "the host's root filesystem"},
	{"/run", false, crit, crit, "the host's runtime directory, with the container runtime's socket"},
	{"/run/docker.sock", false, crit, crit, "the Docker socket: full control of every container on the node"},
	{"/run/cri-dockerd.sock", false, crit, crit, "the cri-dockerd socket: full control of every container on the node"},
	{"/run/dockershim.sock", false, crit, crit, "the dockershim socket: full control of every container on the node"},
	{"/run/containerd", true, crit, crit, "containerd's socket directory: full control of every container on the node"},
	{"/run/crio", true, crit, crit, "CRI-O's socket directory: full control of every container on the node"},
	{"/run/docker", true, crit, crit, "Docker's runtime directory, with containerd's socket"},
	{"/run/k3s/containerd", true, crit, crit, "k3s's containerd socket directory: full control of every container on the node"},
	{"/run/podman", true, crit, crit, "Podman's socket directory: full control of every container on the node"},
	{"/run/dbus", true, high, high, "the system D-Bus socket, through which root controls systemd on the host"},
	{"/run/systemd", true, high, high, "systemd's sockets, through which root controls the host"},
	{"/var/lib/kubelet", true, crit, crit, "the kubelet's directory: its credentials and every pod's secrets"},
	{"/var/lib/kubelet/plugins", true, 0, 0, ""},
	{"/var/lib/kubelet/plugins_registry", true, 0, 0, ""},
	{"/var/lib/kubelet/device-plugins", true, 0, 0, ""},
	{"/var/lib/kubelet/pod-resources", true, 0, 0, ""},
	{"/var/lib/etcd", true, crit, crit, "etcd's data: every object and secret of the cluster"},
	{"/etc/kubernetes", true, crit, crit, "Kubernetes credentials and static pod manifests (cluster-admin on control-plane nodes)"},
	{"/etc/rancher", true, crit, crit, "k3s and RKE2 configuration with the admin kubeconfig"},
	{"/etc/kubelet.d", true, crit, high, "static pod manifests the kubelet runs"},
	{"/etc", false, crit, high, "the host's configuration"},
	{"/etc", true, med, 0, "host configuration"},
	{"/etc/shadow", false, crit, high, "the host's password hashes"},
	{"/etc/gshadow", false, crit, high, "the host's group password hashes"},
	{"/etc/passwd", false, crit, 0, "the host's user accounts"},
	{"/etc/group", false, crit, 0, "the host's groups"},
	{"/etc/sudoers", false, crit, high, "the host's sudo rules"},
	{"/etc/sudoers.d", true, crit, high, "the host's sudo rules"},
	{"/etc/ssh", true, crit, high, "the host's SSH keys and configuration"},
	{"/etc/crontab", false, crit, 0, "jobs the host runs as root"},
	{"/etc/cron.d", true, crit, 0, "jobs the host runs as root"},
	{"/etc/systemd", true, crit, 0, "services the host runs as root"},
	{"/etc/ld.so.preload", false, crit, 0, "libraries every host process loads"},
	{"/etc/modprobe.d", true, crit, 0, "kernel module settings of the host"},
	{"/etc/containerd", true, crit, 0, "containerd's configuration, which names the binaries it runs as root"},
	{"/etc/crio", true, crit, 0, "CRI-O's configuration, which names the binaries it runs as root"},
	{"/etc/docker", true, crit, 0, "Docker's configuration, which names the binaries it runs as root"},
	{"/etc/resolv.conf", false, high, 0, "the host's DNS resolvers"},
	{"/etc/hosts", false, high, 0, "the host's name resolution"},
	{"/etc/cni", true, high, 0, "the CNI configuration: who writes it controls the network of new pods"},
	{"/etc/ssl/certs", true, high, 0, "the host's trusted certificate authorities"},
	{"/etc/pki/ca-trust", true, high, 0, "the host's trusted certificate authorities"},
	{"/etc/pki/tls/certs", true, high, 0, "the host's trusted certificate authorities"},
	{"/etc/ca-certificates", true, high, 0, "the host's trusted certificate authorities"},
	{"/etc/localtime", false, 0, 0, ""},
	{"/etc/timezone", false, 0, 0, ""},
	{"/etc/machine-id", false, 0, 0, ""},
	{"/etc/os-release", false, 0, 0, ""},
	{"/proc", true, crit, high, "the host's /proc: other processes' memory maps and environment, kernel settings (core_pattern runs code as root)"},
	{"/sys", false, crit, med, "the host's /sys: kernel and device settings (uevent_helper runs code as root)"},
	{"/sys", true, high, 0, "kernel and device settings of the host"},
	{"/sys/kernel", true, crit, med, "the kernel's settings, security and debug file systems"},
	{"/sys/kernel/security", true, crit, 0, "the kernel's security modules (AppArmor, SELinux, IMA) policies"},
	{"/sys/fs/bpf", true, high, 0, "pinned eBPF programs and maps (a CNI's datapath and policies)"},
	{"/sys/fs/cgroup", true, high, 0, "the host's cgroups (cgroup v1 release_agent runs code as root)"},
	{"/root", true, crit, high, "root's home directory on the host: SSH keys and kubeconfig files"},
	{"/boot", true, crit, med, "the host's kernel and boot loader"},
	{"/dev", true, high, med, "the host's devices (the device cgroup still limits which can be opened)"},
	{"/dev/fuse", false, 0, 0, ""},
	{"/dev/net/tun", false, 0, 0, ""},
	{"/dev/kmsg", false, 0, 0, ""},
	{"/usr", true, crit, 0, "the host's system binaries, which run as root"},
	{"/bin", true, crit, 0, "the host's system binaries, which run as root"},
	{"/sbin", true, crit, 0, "the host's system binaries, which run as root"},
	{"/lib", true, crit, 0, "the host's system libraries"},
	{"/lib/modules", true, high, 0, "the host's kernel modules"},
	{"/lib64", true, crit, 0, "the host's system libraries"},
	{"/opt/cni/bin", true, crit, 0, "the CNI plugins, which the container runtime runs as root"},
}

// runtimeSockets are matched by name wherever they are: distributions move
// them (/var/snap/microk8s/common/run/containerd.sock).
var runtimeSockets = map[string]string{
	"docker.sock":      "the Docker socket",
	"containerd.sock":  "containerd's socket",
	"crio.sock":        "CRI-O's socket",
	"cri-dockerd.sock": "the cri-dockerd socket",
	"dockershim.sock":  "the dockershim socket",
	"podman.sock":      "Podman's socket",
}

// windowsPipes are the runtime endpoints of Windows nodes.
var windowsPipes = map[string]string{
	`\\.\pipe\docker_engine`:         "the Docker named pipe",
	`\\.\pipe\containerd-containerd`: "containerd's named pipe",
}

// judgement is how sensitive one exposed path is.
type judgement struct {
	severity check.Severity
	why      string
}

// cleanHostPath normalises a hostPath as the node resolves it.
func cleanHostPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	if p == "/var/run" || strings.HasPrefix(p, "/var/run/") {
		p = p[len("/var"):]
	}
	return p
}

// under reports whether p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// judgeHostPath rates one exposed host path.
func judgeHostPath(raw string, readOnly bool) judgement {
	sev := func(r hostRule) check.Severity {
		if readOnly {
			return r.ro
		}
		return r.rw
	}
	if strings.Contains(raw, `\`) {
		if what, ok := windowsPipes[strings.ToLower(raw)]; ok {
			return judgement{crit, what + ": full control of every container on the node"}
		}
		return judgement{}
	}
	p := cleanHostPath(raw)
	if what, ok := runtimeSockets[path.Base(p)]; ok {
		return judgement{crit, what + ": full control of every container on the node"}
	}
	var best judgement
	// The rule for p itself, else the most specific subtree holding p.
	covering := -1
	for i, r := range hostRules {
		switch {
		case r.path == p && !r.subtree:
			covering = i
		case r.subtree && under(p, r.path) && (covering < 0 || hostRules[covering].subtree && len(r.path) > len(hostRules[covering].path)):
			covering = i
		}
		if covering >= 0 && hostRules[covering].path == p && !hostRules[covering].subtree {
			break
		}
	}
	if covering >= 0 {
		r := hostRules[covering]
		best = judgement{sev(r), r.what}
	}
	// What p holds.
	for _, r := range hostRules {
		if r.path != p && under(r.path, p) && sev(r) > best.severity {
			best = judgement{sev(r), "it holds " + r.path + ", " + r.what}
		}
	}
	if best.severity == 0 {
		return judgement{}
	}
	return best
}

func sensitiveHostPath(_ *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for i, v := range p.Spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		var (
			worst     judgement
			exposed   string
			container string
			readOnly  bool
		)
		for _, c := range p.Containers() {
			if !designed(c) {
				continue
			}
			for _, m := range c.VolumeMounts {
				if m.Name != v.Name {
					continue
				}
				hp := v.HostPath.Path
				if m.SubPath != "" && !strings.Contains(hp, `\`) {
					hp = path.Join(hp, m.SubPath)
				}
				if j := judgeHostPath(hp, m.ReadOnly); j.severity > worst.severity {
					worst, exposed, container, readOnly = j, hp, c.Name, m.ReadOnly
				}
			}
		}
		if worst.severity == 0 {
			continue
		}
		how := "mounts"
		if readOnly {
			how = "mounts read-only"
		}
		out = append(out, check.Result{
			Path:     p.SpecPath.Child("volumes").Index(i).Child("hostPath", "path"),
			Severity: worst.severity,
			Message:  fmt.Sprintf("container %q %s host path %s: %s", container, how, exposed, worst.why),
			// The Pod Security control on hostPath volumes reports the same
			// volumes less precisely: this finding speaks for it.
			Cause: check.CauseHostPath,
			Leads: true,
		})
	}
	return out
}
