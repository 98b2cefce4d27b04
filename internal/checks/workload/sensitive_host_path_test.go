package workload

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestJudgeHostPath(t *testing.T) {
	tests := []struct {
		path     string
		readOnly bool
		want     check.Severity
	}{
		// Runtime sockets, however written, read-only or not.
		{"/var/run/docker.sock", false, check.Critical},
		{"/var/run/docker.sock", true, check.Critical},
		{"/run//docker.sock", false, check.Critical},
		{"/var/run/containerd/containerd.sock", true, check.Critical},
		{"/run/containerd", false, check.Critical},
		{"/run/containerd/", true, check.Critical},
		{"/var/run/crio/crio.sock", false, check.Critical},
		{"/var/run/cri-dockerd.sock", false, check.Critical},
		{"/var/snap/microk8s/common/run/containerd.sock", false, check.Critical},
		{`\\.\pipe\docker_engine`, false, check.Critical},
		{`\\.\PIPE\containerd-containerd`, true, check.Critical},
		// Parents of sensitive paths.
		{"/", true, check.Critical},
		{"/var", false, check.Critical},
		{"/var/run", true, check.Critical},
		{"/var/run/", false, check.Critical},
		{"/run", false, check.Critical},
		{"/var/lib", true, check.Critical},
		{"/etc", true, check.Critical},
		{"/etc/", false, check.Critical},
		// Kubernetes data, at any depth.
		{"/var/lib/kubelet", false, check.Critical},
		{"/var/lib/kubelet/pods", true, check.Critical},
		{"/var/lib/kubelet/pki/", true, check.Critical},
		{"/var/lib/etcd", false, check.Critical},
		{"/etc/kubernetes/pki", true, check.Critical},
		{"/etc/kubernetes/../kubernetes/admin.conf", true, check.Critical},
		// Host system.
		{"/proc", false, check.Critical},
		{"/proc/", true, check.High},
		{"/proc/sys/kernel", true, check.High},
		{"/sys", false, check.Critical},
		{"/sys", true, check.Medium},
		{"/sys/kernel/security", false, check.Critical},
		{"/sys/fs/cgroup", false, check.High},
		{"/sys/fs/", false, check.High},
		{"/sys/fs/bpf", false, check.High},
		{"/root", true, check.High},
		{"/root/.ssh", false, check.Critical},
		{"/boot/", false, check.Critical},
		{"/dev", false, check.High},
		{"/dev/", true, check.Medium},
		{"/etc/shadow", true, check.High},
		{"/etc/cni/net.d", false, check.High},
		{"/etc/containerd", true, 0},
		{"/etc/containerd/config.toml", false, check.Critical},
		{"/etc/calico", false, check.Medium},
		{"/etc/calico", true, 0},
		{"/etc/resolv.conf", false, check.High},
		{"/etc/rancher/k3s/k3s.yaml", true, check.Critical},
		{"/sys/kernel/security", true, 0},
		{"/sys/kernel/debug", true, check.Medium},
		{"/usr", false, check.Critical},
		{"/opt/cni/bin", false, check.Critical},
		{"run/containerd", false, check.Critical}, // relative paths resolve from /
		// Not sensitive.
		{"/etc/localtime", true, 0},
		{"/etc/localtime", false, 0},
		{"/etc/ssl/certs", true, 0},
		{"/etc/cni/net.d", true, 0},
		{"/var/log", false, 0},
		{"/var/lib/calico", false, 0},
		{"/var/run/calico", false, 0},
		{"/run/xtables.lock", false, 0},
		{"/var/lib/kubelet/plugins/csi.example.com", false, 0},
		{"/var/lib/kubelet/plugins_registry/", false, 0},
		{"/lib/modules", true, 0},
		{"/usr", true, 0},
		{"/sys/fs/cgroup", true, 0},
		{"/sys/fs/bpf", true, 0},
		{"/dev/fuse", false, 0},
		{"/data", false, 0},
		{"/etcd-backup", false, 0},
		{"/rootfs", false, 0},
		{"/procfs", false, 0},
		{"/var/lib/kubelet-data", false, 0},
		{`C:\var\log`, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s ro=%v", tt.path, tt.readOnly), func(t *testing.T) {
			j := judgeHostPath(tt.path, tt.readOnly)
			if j.severity != tt.want {
				t.Errorf("severity = %s (%s), want %s", j.severity, j.why, tt.want)
			}
			if j.severity != 0 && j.why == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestSensitiveHostPath(t *testing.T) {
	checktest.RunFixtures(t, SensitiveHostPath, nil, []checktest.Fixture{{
		Name: "one finding per volume, at its path, for the worst mount",
		YAML: `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: x, volumeMounts: [{name: sock, mountPath: /s}]}
      containers:
      - {name: a, image: x, volumeMounts: [{name: sock, mountPath: /s, readOnly: true}, {name: logs, mountPath: /l}]}
      volumes:
      - {name: logs, hostPath: {path: /var/log}}
      - {name: sock, hostPath: {path: /var/run/docker.sock, type: Socket}}`,
		Want: []string{"DaemonSet/agent spec.template.spec.volumes[1].hostPath.path"},
	}, {
		Name: "a subPath narrows what is exposed",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    volumeMounts:
    - {name: root, mountPath: /etc/localtime, subPath: etc/localtime, readOnly: true}
  volumes:
  - {name: root, hostPath: {path: /}}
---
apiVersion: v1
kind: Pod
metadata: {name: q}
spec:
  containers:
  - name: a
    image: x
    volumeMounts:
    - {name: lib, mountPath: /k, subPath: kubelet}
  volumes:
  - {name: lib, hostPath: {path: /var/lib/}}`,
		Want: []string{"Pod/q spec.volumes[0].hostPath.path"},
	}, {
		Name: "volumes no designed container mounts are skipped",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  ephemeralContainers:
  - {name: debug, image: x, volumeMounts: [{name: root, mountPath: /host}]}
  volumes:
  - {name: root, hostPath: {path: /}}`,
	}})
}

func TestSensitiveHostPathFinding(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: exporter
    image: x
    volumeMounts: [{name: root, mountPath: /host, readOnly: true}]
  volumes:
  - name: root
    hostPath:
      path: /var
`, nil, SensitiveHostPath)
	if len(fs) != 1 {
		t.Fatalf("findings = %+v", fs)
	}
	f := fs[0]
	if f.Severity != check.Critical || f.Position.Line != 12 ||
		!strings.Contains(f.Message, `container "exporter" mounts read-only host path /var: it holds `) {
		t.Errorf("finding = %s %d:%d %q", f.Severity, f.Position.Line, f.Position.Column, f.Message)
	}
}

func BenchmarkJudgeHostPath(b *testing.B) {
	paths := []string{"/var/run/docker.sock", "/var/log", "/etc/cni/net.d", "/", "/var/lib/kubelet/pods", "/sys/fs/bpf"}
	for b.Loop() {
		for _, p := range paths {
			judgeHostPath(p, false)
		}
	}
}

// FuzzJudgeHostPath checks that judging never panics, that spellings of one
// path are judged alike, and that a read-only mount is never judged worse
// than a writable one.
func FuzzJudgeHostPath(f *testing.F) {
	for _, s := range []string{"/var/run/docker.sock", "/etc/", "run/containerd", "/var/lib/kubelet/pods", `\\.\pipe\docker_engine`, "/sys/fs/bpf", "/a/../etc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rw, ro := judgeHostPath(p, false), judgeHostPath(p, true)
		if ro.severity > rw.severity {
			t.Errorf("%q: read-only %s is worse than writable %s", p, ro.severity, rw.severity)
		}
		if strings.Contains(p, `\`) {
			return
		}
		for _, variant := range []string{p + "/", "/" + p, strings.ReplaceAll(p, "/", "//"), p + "/."} {
			if v := judgeHostPath(variant, false); v.severity != rw.severity {
				t.Errorf("%q is %s but %q is %s", p, rw.severity, variant, v.severity)
			}
		}
	})
}
