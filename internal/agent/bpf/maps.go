package bpf

import (
	"fmt"
	"path"
	"strings"

	"github.com/kubeward/kubeward/internal/agent/event"
)

// SensitivePath is a path prefix whose opens are reported with Class. A
// prefix ending in "/" is a directory. Reads are reported only for files
// whose name, or whose parent's or grandparent's name, is in Names (the
// kernel resolves a path only for those); writes always.
type SensitivePath struct {
	Prefix string
	Class  event.Class
	Names  []string
}

// DefaultSensitivePaths are the files Falco's sensitive-file rules watch,
// the service-account token, the kubelet's and control plane's
// credentials, other processes' environments, and the directories whose
// writes replace binaries or configuration.
func DefaultSensitivePaths() []SensitivePath {
	sa := []string{"token"}
	return []SensitivePath{
		{"/var/run/secrets/kubernetes.io/serviceaccount/", event.ClassServiceAccountToken, sa},
		{"/run/secrets/kubernetes.io/serviceaccount/", event.ClassServiceAccountToken, sa},
		{"/var/run/secrets/tokens/", event.ClassServiceAccountToken, sa},
		{"/etc/shadow", event.ClassShadow, []string{"shadow"}},
		{"/etc/gshadow", event.ClassShadow, []string{"gshadow"}},
		{"/etc/sudoers", event.ClassShadow, []string{"sudoers"}},
		{"/etc/sudoers.d/", event.ClassShadow, []string{"sudoers.d"}},
		{"/etc/pam.conf", event.ClassShadow, []string{"pam.conf"}},
		{"/etc/pam.d/", event.ClassShadow, []string{"pam.d"}},
		{"/etc/security/pwquality.conf", event.ClassShadow, []string{"pwquality.conf"}},
		{"/var/lib/kubelet/pki/", event.ClassKubeletCredentials, []string{"pki"}},
		{"/var/lib/kubelet/kubeconfig", event.ClassKubeletCredentials, []string{"kubeconfig"}},
		{"/etc/kubernetes/", event.ClassKubeletCredentials, []string{"kubernetes"}},
		{"/proc/", event.ClassProcEnviron, []string{"environ"}},
		{"/root/.ssh/", event.ClassSSH, []string{".ssh"}},
		{"/etc/ssh/", event.ClassSSH, []string{"ssh"}},
		{"/bin/", event.ClassBinaryDir, nil},
		{"/sbin/", event.ClassBinaryDir, nil},
		{"/usr/bin/", event.ClassBinaryDir, nil},
		{"/usr/sbin/", event.ClassBinaryDir, nil},
		{"/usr/local/bin/", event.ClassBinaryDir, nil},
		{"/usr/local/sbin/", event.ClassBinaryDir, nil},
		{"/etc/", event.ClassEtc, nil},
	}
}

// Validate checks that the kernel side can hold the path and its names.
func (s *SensitivePath) Validate() error {
	if len(s.Prefix) > len(kubewardPrefixKey{}.Data) || !path.IsAbs(s.Prefix) {
		return fmt.Errorf("sensitive path %q: absolute, at most %d bytes", s.Prefix, len(kubewardPrefixKey{}.Data))
	}
	for _, n := range s.Names {
		if len(n) >= len(kubewardNameKey{}.Name) || n == "" || strings.Contains(n, "/") {
			return fmt.Errorf("sensitive path %q: name %q: one component under %d bytes", s.Prefix, n, len(kubewardNameKey{}.Name))
		}
	}
	return nil
}

// SetSensitivePaths adds to the table the open program classifies with.
func (p *Probes) SetSensitivePaths(paths []SensitivePath) error {
	for _, s := range paths {
		if err := s.Validate(); err != nil {
			return err
		}
		var k kubewardPrefixKey
		copy(k.Data[:], s.Prefix)
		k.Prefixlen = uint32(len(s.Prefix) * 8)
		if err := p.maps.Prefixes.Put(&k, uint32(s.Class)); err != nil {
			return fmt.Errorf("sensitive path %q: %w", s.Prefix, err)
		}
		for _, n := range s.Names {
			var nk kubewardNameKey
			for i := range n {
				nk.Name[i] = int8(n[i])
			}
			if err := p.maps.Names.Put(&nk, uint8(1)); err != nil {
				return fmt.Errorf("sensitive name %q: %w", n, err)
			}
		}
	}
	return nil
}

// Guard puts a cgroup under an exec allowlist policy: execs of binaries
// the policy does not allow are reported, and denied when enforce is set.
// Load must have had ExecGuard.
func (p *Probes) Guard(cgroup uint64, policy uint32, enforce bool) error {
	if p.coll.Programs["exec_guard"] == nil {
		return fmt.Errorf("exec guard: not loaded (Options.ExecGuard)")
	}
	g := kubewardGuard{Policy: policy}
	if enforce {
		g.Enforce = 1
	}
	if err := p.maps.Guarded.Put(cgroup, &g); err != nil {
		return fmt.Errorf("exec guard for cgroup %d: %w", cgroup, err)
	}
	return nil
}

// Unguard removes a cgroup's policy.
func (p *Probes) Unguard(cgroup uint64) error {
	if err := p.maps.Guarded.Delete(cgroup); err != nil {
		return fmt.Errorf("exec guard for cgroup %d: %w", cgroup, err)
	}
	return nil
}

// Allow adds an executable path (as the process's mount namespace sees
// it, symlinks resolved) to a policy.
func (p *Probes) Allow(policy uint32, file string) error {
	k := kubewardAllowKey{Policy: policy}
	if len(file) >= len(k.Path) || !path.IsAbs(file) {
		return fmt.Errorf("exec allowlist: %q: absolute, under %d bytes", file, len(k.Path))
	}
	for i := range file {
		k.Path[i] = int8(file[i])
	}
	if err := p.maps.Allowed.Put(&k, uint8(1)); err != nil {
		return fmt.Errorf("exec allowlist: %q: %w", file, err)
	}
	return nil
}

// ReportWritesBelow makes the open programs report every regular file
// opened for writing by a process in one of these cgroups (v2 ids) or
// below them (pods' parent cgroups: the baselines of files written),
// with class 0 unless the path is sensitive. At most 64.
func (p *Probes) ReportWritesBelow(cgroups ...uint64) error {
	for _, id := range cgroups {
		if err := p.maps.WriteRoots.Put(id, uint8(1)); err != nil {
			return fmt.Errorf("reporting writes below cgroup %d: %w", id, err)
		}
	}
	return nil
}
