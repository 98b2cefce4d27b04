package cli

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkAgentEvents is kubeward agent as users run it: the binary in
// its own process, on a real API server with agentBenchPods pods bound to
// its node, each with a simulated container (a cgroup the agent attributes
// to it). Storms of execs of /bin/true (an exec and an exit event each)
// and of TCP connections to the host's address (an attempt and two
// established events each) run as fast as they can from agentBenchStorms
// of the containers (the test binary itself: agentStorm) for
// agentBenchStorm each. From the
// agent's own metrics and /proc, per storm: the events it handled per
// second, its CPU time per event (user and system, /proc/PID/stat) and so
// the events one core handles per second, and the events the kernel
// counted as lost (kubeward_agent_events_lost_total). At the end, at rest:
// its resident memory (all, anonymous, file-backed) and the heap its last
// GC kept.
//
//	go test ./internal/cli -run '^$' -bench BenchmarkAgentEvents -benchtime 1x -timeout 30m   # root
func BenchmarkAgentEvents(b *testing.B) {
	agenttest.RequireBPF(b)
	kubetest.SkipIfShort(b)
	cl := kubetest.Start(b, kubetest.Options{})
	cs := cl.Client()
	dir := b.TempDir()
	bin := kubetest.BuildKubeward(b)
	const node = "bench-node"
	containers := make([]*agenttest.Container, agentBenchPods)
	for i := range containers {
		pod := agenttest.Pod(b, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "bench"}}, node, "app")
		containers[i] = agenttest.NewContainer(b, string(pod.UID))
		agenttest.Running(b, cs, pod, map[string]string{"app": containers[i].ID}, fmt.Sprintf("10.1.%d.%d", i/250, i%250+1))
	}

	ca := kubetest.NewCA(b, dir)
	crt, key, _, _ := ca.Issue(b, "agent", "kubeward", "127.0.0.1")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	maddr := ln.Addr().String()
	ln.Close()
	agent := exec.Command(bin, "agent", "--node", node, "--kubeconfig", cl.UserKubeconfig("admin", "system:masters"),
		"--metrics-addr", maddr, "--metrics-tls-cert", crt, "--metrics-tls-key", key, "-o", "json="+filepath.Join(dir, "alerts"))
	var stderr syncBuffer
	agent.Stderr = &stderr
	if err := agent.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- agent.Wait() }()
	defer func() {
		_ = agent.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(stderr.String(), "agent running"); time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			b.Fatalf("the agent exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("the agent did not start:\n%s", stderr.String())
		}
	}
	scrape := func() map[string]float64 {
		b.Helper()
		resp, err := client.Get("https://" + maddr + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		m := map[string]float64{}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			i := strings.LastIndexByte(line, ' ')
			if strings.HasPrefix(line, "#") || i < 0 {
				continue
			}
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				m[line[:i]] = v
			}
		}
		return m
	}
	sum := func(m map[string]float64, prefix string) (n float64) {
		for k, v := range m {
			if strings.HasPrefix(k, prefix) {
				n += v
			}
		}
		return n
	}

	// The listener of the connection storm: the benchmark's process,
	// which its accepted connections are attributed to, on the host's
	// address (loopback connections raise no event).
	host := agenttest.HostAddress(b)
	l := agenttest.Listen(b, net.JoinHostPort(host, "0"))
	idle := scrape()
	b.ReportMetric(idle["process_resident_memory_bytes"]/(1<<20), "idle-rss-MiB")

	for range b.N {
		for _, storm := range []string{"exec", "connect"} {
			var gens []*exec.Cmd
			for _, c := range containers[:agentBenchStorms] {
				g := c.Command(b, os.Args[0])
				g.Env = append(os.Environ(), "KUBEWARD_AGENT_STORM="+storm, "KUBEWARD_AGENT_STORM_ADDR="+l.Addr().String())
				if err := g.Start(); err != nil {
					b.Fatal(err)
				}
				gens = append(gens, g)
			}
			time.Sleep(time.Second) // the storm under way
			m0, cpu0, t0 := scrape(), procCPU(b, agent.Process.Pid), time.Now()
			time.Sleep(agentBenchStorm)
			m1, cpu1, t1 := scrape(), procCPU(b, agent.Process.Pid), time.Now()
			for _, g := range gens {
				// The storm is the first process of its PID namespace:
				// killing it ends the namespace's every process.
				_ = g.Process.Kill()
				_ = g.Wait()
			}
			// The agent counts lost events every 5 s.
			time.Sleep(6 * time.Second)
			m2 := scrape()
			events := sum(m1, "kubeward_agent_events_total") - sum(m0, "kubeward_agent_events_total")
			if events == 0 {
				b.Fatalf("%s storm: the agent handled no event\n%s", storm, stderr.String())
			}
			cpu := cpu1 - cpu0
			lost := sum(m2, "kubeward_agent_events_lost_total") - sum(m0, "kubeward_agent_events_lost_total")
			b.ReportMetric(events/t1.Sub(t0).Seconds(), storm+"-events/s")
			b.ReportMetric(cpu/events*1e6, storm+"-cpu-µs/event")
			b.ReportMetric(events/cpu, storm+"-events/s/core")
			b.ReportMetric(lost, storm+"-lost")
			b.ReportMetric(cpu/t1.Sub(t0).Seconds(), storm+"-cores")
		}
	}
	time.Sleep(10 * time.Second) // at rest
	m := scrape()
	b.ReportMetric(m["process_resident_memory_bytes"]/(1<<20), "rss-MiB")
	// RssFile is the binary's code and data the process touched, shared
	// with every process mapping the same file; RssAnon is its own.
	for _, f := range []string{"RssAnon", "RssFile"} {
		b.ReportMetric(kubetest.ProcStatusMiB(b, agent.Process.Pid, f), strings.ToLower(f)+"-MiB")
	}
	b.ReportMetric(m["go_gc_heap_live_bytes"]/(1<<20), "heap-live-MiB")
	b.ReportMetric(0, "ns/op")
}

const (
	agentBenchPods   = 100
	agentBenchStorms = 4
	agentBenchStorm  = 10 * time.Second
)

// procCPU returns the user and system CPU seconds of process pid and its
// threads.
func procCPU(b *testing.B, pid int) float64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// pid (comm) state ppid ...: utime and stime are fields 14 and 15,
	// counted after the comm, which may hold spaces.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %s", pid, data)
	}
	return (utime + stime) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// agentStorm is BenchmarkAgentEvents's load, run in a simulated container
// by the test binary (KUBEWARD_AGENT_STORM): execs of /bin/true, or TCP
// connections to addr, as fast as it can until it is killed.
func agentStorm(kind, addr string) {
	for {
		if kind == "exec" {
			_ = exec.Command("/bin/true").Run()
			continue
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			// A reset, not a FIN: no TIME_WAIT holds the port, so the
			// storm does not run out of them.
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}
}
