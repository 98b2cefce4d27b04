package agent_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent"
	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/intent"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
)

// The agent's overhead on workloads: the same loop of execs or loopback
// connections without and with the agent (programs attached, events read,
// attributed and judged). Compare the two sub-benchmarks of one run
// (docs/PERFORMANCE.md).
func BenchmarkOverhead(b *testing.B) {
	for _, w := range []struct {
		name string
		loop func(b *testing.B)
	}{{"exec", execLoop}, {"connect", connectLoop}, {"open-write", openWriteLoop}} {
		b.Run(w.name+"/without", w.loop)
		b.Run(w.name+"/with-agent", func(b *testing.B) {
			stop := runAgent(b, false)
			w.loop(b)
			b.StopTimer()
			stop()
		})
		if w.name == "open-write" {
			// With --baselines: every file written below a pod's cgroup
			// is reported and learned; here the benchmark's own cgroup
			// stands for the pods'.
			b.Run(w.name+"/with-agent-baselines", func(b *testing.B) {
				stop := runAgent(b, true)
				w.loop(b)
				b.StopTimer()
				stop()
			})
		}
	}
}

func openWriteLoop(b *testing.B) {
	name := filepath.Join(b.TempDir(), "f")
	for b.Loop() {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// ownCgroup is the id of the cgroup v2 the test process runs in.
func ownCgroup(b *testing.B, root string) uint64 {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			var st syscall.Stat_t
			if err := syscall.Stat(filepath.Join(root, rest), &st); err != nil {
				b.Fatal(err)
			}
			return st.Ino
		}
	}
	b.Fatal("no cgroup v2 in /proc/self/cgroup")
	return 0
}

func execLoop(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}

func connectLoop(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := l.Addr().String()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// runAgent starts an agent on the real programs and returns its stop;
// it reports the events it lost and its heap. With baselines, the
// process's own cgroup is a write root and a baselines detector runs.
func runAgent(b *testing.B, baselines bool) func() {
	p := agenttest.Load(b, bpf.Options{})
	root, err := bpf.CgroupRoot()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	dets := []agent.Detector{eng}
	if baselines {
		if err := p.ReportWritesBelow(ownCgroup(b, root)); err != nil {
			b.Fatal(err)
		}
		dets = append(dets, intent.NewBaselines(eng, time.Hour))
	}
	a, err := agent.New(p, &attrib.Attributor{Cgroups: attrib.NewCgroups(root)},
		agent.Options{Detectors: dets, Consumers: []func([]detect.Alert){func([]detect.Alert) {}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		var lost uint64
		for _, n := range a.Lost() {
			lost += n
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(lost), "lost-events")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	}
}
