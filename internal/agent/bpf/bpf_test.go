package bpf_test

import (
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/event"
)

// TestEvents loads the programs into the running kernel and checks that
// each kind of behaviour of a simulated container comes out as its event,
// attributed to the container's cgroup.
func TestEvents(t *testing.T) {
	p := agenttest.Load(t, bpf.Options{})
	for _, m := range p.Missing {
		// A kernel without loadable modules has no module syscalls.
		if _, err := os.Stat("/proc/modules"); err == nil || !strings.Contains(m, "module") {
			t.Errorf("blind spot: %s", m)
		}
	}
	evs := agenttest.Collect(t, p)
	c := agenttest.NewContainer(t, "0b8f6c1e-7d2a-4c4e-9a51-1f2e3d4c5b6a")
	in := func(e *event.Event) bool { return e.Cgroup == c.Cgroup }

	c.Run(t, "/bin/echo hello --password=hunter2 >/dev/null")
	ex := evs.Wait(t, "exec of echo", func(e *event.Event) bool { return in(e) && e.Kind == event.Exec && e.Path == "/bin/echo" })
	if want := []string{"/bin/echo", "hello", "--password=hunter2"}; !slices.Equal(ex.Args, want) {
		t.Errorf("args %q, want %q (raw: redaction is the agent's)", ex.Args, want)
	}
	if ex.Comm != "echo" || ex.MntNS == 0 {
		t.Errorf("exec event %+v", ex)
	}
	evs.Wait(t, "exit", func(e *event.Event) bool { return in(e) && e.Kind == event.Exit })

	c.Run(t, "cat /etc/shadow >/dev/null; cat /etc/hostname >/dev/null")
	op := evs.Wait(t, "open of /etc/shadow", func(e *event.Event) bool { return in(e) && e.Kind == event.Open })
	if op.Path != "/etc/shadow" || op.Class() != event.ClassShadow || op.Flags&event.FlagWrite != 0 {
		t.Errorf("open event %+v", op)
	}

	c.Run(t, "mount -t tmpfs none /usr/local/sbin && echo x > /usr/local/sbin/kw-test")
	m := evs.Wait(t, "mount", func(e *event.Event) bool { return in(e) && e.Kind == event.Syscall && e.Op == event.OpMount })
	if m.Path != "none" || m.Str2 != "/usr/local/sbin" || m.Ret != 0 {
		t.Errorf("mount event %+v", m)
	}
	w := evs.Wait(t, "write below /usr/local/sbin", func(e *event.Event) bool {
		return in(e) && e.Kind == event.Open && e.Class() == event.ClassBinaryDir
	})
	if w.Path != "/usr/local/sbin/kw-test" || w.Flags&event.FlagWrite == 0 {
		t.Errorf("write event %+v", w)
	}

	c.Run(t, "unshare -n true; setpriv --reuid=65534 true")
	evs.Wait(t, "unshare", func(e *event.Event) bool { return in(e) && e.Kind == event.Syscall && e.Op == event.OpUnshare })
	su := evs.Wait(t, "setuid", func(e *event.Event) bool {
		return in(e) && e.Kind == event.Syscall && (e.Op == event.OpSetresuid || e.Op == event.OpSetreuid || e.Op == event.OpSetuid)
	})
	if su.OldUID != 0 || su.UID != 65534 {
		t.Errorf("setuid event: uid %d -> %d, want 0 -> 65534", su.OldUID, su.UID)
	}

	// Loopback connections raise no event (they never leave the
	// network namespace and nothing judges them); the one that follows
	// them, to a pod address, raises its attempt and its establishment.
	addrs := []string{"127.0.0.1"}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil { // else no IPv6 on loopback here
		l.Close()
		addrs = append(addrs, "::1")
	}
	var loop []string
	for _, addr := range addrs {
		l := agenttest.Listen(t, net.JoinHostPort(addr, "0"))
		loop = append(loop, "bash -c 'exec 3<>/dev/tcp/"+addr+"/"+strconv.Itoa(l.Addr().(*net.TCPAddr).Port)+"'")
	}
	ns := agenttest.NewNetNS(t, "10.244.9.2")
	ns.Listen(t, "10.244.9.2:8080")
	c.Run(t, strings.Join(loop, " && ")+" && "+ns.In("bash -c 'exec 3<>/dev/tcp/10.244.9.2/8080'"))
	cn := evs.Wait(t, "tcp connect", func(e *event.Event) bool {
		return in(e) && e.Kind == event.Connect && e.Op == event.ConnAttempt && e.RemotePort == 8080
	})
	if cn.Remote.String() != "10.244.9.2" || cn.Proto != 6 || cn.Inbound() {
		t.Errorf("connect event %+v", cn)
	}
	evs.Wait(t, "tcp established", func(e *event.Event) bool {
		return in(e) && e.Kind == event.Connect && e.Op == event.ConnEstablished && !e.Inbound() && e.RemotePort == 8080
	})
	for _, e := range evs.All() {
		if e.Kind == event.Connect && e.Remote.Unmap().IsLoopback() {
			t.Errorf("event for a loopback connection: %+v", e)
		}
	}
}
