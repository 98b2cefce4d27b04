package agenttest

import (
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NetNS is a network namespace held by a sleeping process, with addresses
// on its loopback: pod IPs for simulated pods, without touching the
// host's network.
type NetNS struct {
	Path string // /proc/<pid>/ns/net
}

// NewNetNS creates the namespace with the given addresses (/32 on lo).
func NewNetNS(t testing.TB, addrs ...string) *NetNS {
	t.Helper()
	script := "ip link set lo up"
	for _, a := range addrs {
		script += " && ip addr add " + a + "/32 dev lo"
	}
	cmd := exec.Command("unshare", "-n", "sh", "-c", script+" && echo ready && exec sleep 600")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 6)
	done := make(chan error, 1)
	go func() { _, err := out.Read(buf); done <- err }()
	select {
	case err := <-done:
		if err != nil || !strings.HasPrefix(string(buf), "ready") {
			t.Fatalf("network namespace: %v %q", err, buf)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("network namespace: not ready in 10s")
	}
	return &NetNS{Path: "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"}
}

// Listen opens a TCP listener in the namespace, accepting and closing
// connections until the test ends.
func (n *NetNS) Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	type res struct {
		l   net.Listener
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread enters the namespace and returns to its own once the
		// socket is made (the socket stays where it was made). A thread
		// that died instead would SIGKILL the children it started:
		// kubetest's kube-apiserver runs with Pdeathsig, which follows the
		// thread, not the process. Only if it cannot return is it left
		// locked, to die with the goroutine.
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{err: err}
			return
		}
		defer self.Close()
		f, err := os.Open(n.Path)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- res{err: err}
			return
		}
		l, err := net.Listen("tcp", addr)
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{l, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.l.Close() })
	go acceptAndClose(r.l)
	return r.l
}

// Listen listens on addr (host:port, port 0 for any) in the test's own
// network namespace, accepting and closing every connection until the
// test ends.
func Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go acceptAndClose(l)
	return l
}

func acceptAndClose(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Close()
	}
}

// In prefixes a container's shell command so it runs in the namespace.
func (n *NetNS) In(script string) string {
	return "nsenter --net=" + n.Path + " sh -c '" + strings.ReplaceAll(script, "'", `'\''`) + "'"
}

// HostAddress is the host's first IPv4 address that is not a loopback or
// link-local one: connections to it stay on the host, as loopback ones
// do, but raise events, as a pod's to another pod do. Without one the
// test is skipped.
func HostAddress(t testing.TB) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("the host has no IPv4 address but loopback")
	return ""
}
