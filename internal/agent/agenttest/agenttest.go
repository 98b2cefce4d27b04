// Package agenttest is for tests only: it loads the node agent's programs
// into the running kernel and simulates containers as processes in cgroups
// and namespaces named as the kubelet and containerd name them.
package agenttest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kubeward/kubeward/internal/agent/bpf"
)

// RequireBPF skips the test where the kernel cannot load the programs
// (no BTF, no bpf syscall, not root), and fails it in CI, where a skip
// would count as a pass.
func RequireBPF(t testing.TB) {
	t.Helper()
	err := bpf.Supported()
	if err == nil && os.Geteuid() != 0 {
		err = fmt.Errorf("not root")
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run the agent's tests on a kernel with BPF: %v", err)
	}
	t.Skipf("the kernel cannot load the agent's programs: %v", err)
}

// Container is a simulated container: a cgroup named as the kubelet's
// systemd cgroup driver and containerd name it.
type Container struct {
	ID     string // 64 hex digits, as containerd's
	PodUID string
	Dir    string // the cgroup's directory
	Cgroup uint64 // its id (the directory's inode)
}

// NewContainer creates the cgroup of a container of the pod with the given
// UID, under the cgroup v2 root, removed at the end of the test.
func NewContainer(t testing.TB, podUID string) *Container {
	t.Helper()
	root, err := bpf.CgroupRoot()
	if err != nil {
		t.Fatal(err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	c := &Container{ID: hex.EncodeToString(b[:]), PodUID: podUID}
	pod := "kubepods-besteffort-pod" + strings.ReplaceAll(podUID, "-", "_") + ".slice"
	parents := []string{"kubepods.slice", "kubepods-besteffort.slice", pod}
	dir := root
	for _, p := range parents {
		dir = filepath.Join(dir, p)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	c.Dir = filepath.Join(dir, "cri-containerd-"+c.ID+".scope")
	if err := os.Mkdir(c.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The processes are gone by then; the directories go innermost
		// first, and the shared parents only once empty.
		_ = os.Remove(c.Dir)
		for d := filepath.Dir(c.Dir); d != root; d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	})
	var st syscall.Stat_t
	if err := syscall.Stat(c.Dir, &st); err != nil {
		t.Fatal(err)
	}
	c.Cgroup = st.Ino
	return c
}

// Command prepares a command that starts in the container's cgroup, in new
// mount, PID and UTS namespaces like a container's first process.
func (c *Container) Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	fd, err := os.Open(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fd.Close() })
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		UseCgroupFD: true,
		CgroupFD:    int(fd.Fd()),
		Cloneflags:  syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS,
	}
	return cmd
}

// Run runs a shell script in the container and fails the test if it
// fails.
func (c *Container) Run(t testing.TB, script string) string {
	t.Helper()
	out, err := c.Command(t, "/bin/sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return string(out)
}
