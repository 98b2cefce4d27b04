package agent_test

import (
	"context"
	"net"
	"os/exec"
	"runtime"
	"testing"

	"github.com/kubeward/kubeward/internal/agent"
	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/bpf"
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
	}{{"exec", execLoop}, {"connect", connectLoop}} {
		b.Run(w.name+"/without", w.loop)
		b.Run(w.name+"/with-agent", func(b *testing.B) {
			stop := runAgent(b)
			w.loop(b)
			b.StopTimer()
			stop()
		})
	}
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
// it reports the events it lost and its heap.
func runAgent(b *testing.B) func() {
	p := agenttest.Load(b, bpf.Options{})
	root, err := bpf.CgroupRoot()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	a, err := agent.New(p, &attrib.Attributor{Cgroups: attrib.NewCgroups(root)},
		agent.Options{Detectors: []agent.Detector{eng}, Consumers: []func([]detect.Alert){func([]detect.Alert) {}}})
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
