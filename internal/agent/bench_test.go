package agent_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
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

// The agent's overhead on workloads: the same loop of execs, TCP
// connections or opens for writing without and with the agent (programs
// attached, events read, attributed and judged). The machine is shared,
// so the sides alternate in one run: overheadRounds rounds of b.N/rounds
// iterations per side, each round in the other order than the last (so a
// drift in the machine's load favours neither side), and the figures are
// the medians of the rounds' times per iteration and their ratio
// (docs/PERFORMANCE.md):
//
//	go test ./internal/agent -run '^$' -bench BenchmarkOverhead -benchtime=100000x -timeout 60m   # root
func BenchmarkOverhead(b *testing.B) {
	for _, w := range []struct {
		name string
		loop func(b *testing.B, n int)
		// baselines adds a side with --baselines: every file written
		// below a pod's cgroup is reported and learned; here the
		// benchmark's own cgroup stands for the pods'.
		baselines bool
	}{
		{"exec", execLoop, false},
		{"connect", connectLoop("127.0.0.1"), false},
		// Loopback connections raise no event; one to the host's own
		// address costs what a pod's connection to another does.
		{"connect-host-address", connectLoop(""), false},
		{"open-write", openWriteLoop, true},
	} {
		b.Run(w.name, func(b *testing.B) {
			sides := []overheadSide{{name: "without"}, {name: "with-agent", agent: true}}
			if w.baselines {
				sides = append(sides, overheadSide{name: "with-baselines", agent: true, baselines: true})
			}
			alternate(b, sides, w.loop)
		})
	}
}

const overheadRounds = 5

type overheadSide struct {
	name             string
	agent, baselines bool
	perOp            []float64 // ns per iteration, one per round
	lost             uint64
	heap             float64 // MiB in use with the agent, at its stop
}

// alternate runs loop on every side overheadRounds times, in alternating
// order, and reports the medians per side and each side's ratio to the
// first.
func alternate(b *testing.B, sides []overheadSide, loop func(b *testing.B, n int)) {
	n := max(1, b.N/overheadRounds)
	b.StopTimer()
	for r := range overheadRounds {
		for i := range sides {
			s := &sides[i]
			if r%2 == 1 {
				s = &sides[len(sides)-1-i]
			}
			var stop func() (uint64, float64)
			if s.agent {
				stop = runAgent(b, s.baselines)
			}
			start := time.Now()
			loop(b, n)
			s.perOp = append(s.perOp, float64(time.Since(start).Nanoseconds())/float64(n))
			if stop != nil {
				lost, heap := stop()
				s.lost += lost
				s.heap = max(s.heap, heap)
			}
		}
	}
	base := median(sides[0].perOp)
	for _, s := range sides {
		m := median(s.perOp)
		b.ReportMetric(m/1e3, s.name+"-µs/op")
		if s.agent {
			b.ReportMetric(m/base, s.name+"-ratio")
			b.ReportMetric(float64(s.lost), s.name+"-lost-events")
			b.ReportMetric(s.heap, s.name+"-heap-MiB")
		}
	}
	b.ReportMetric(0, "ns/op") // the sides' own figures say it; their sum does not
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func openWriteLoop(b *testing.B, n int) {
	name := filepath.Join(b.TempDir(), "f")
	for range n {
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

func execLoop(b *testing.B, n int) {
	for range n {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// connectLoop connects to a listener on ip and closes, n times; ip ""
// is the host's first address that is not a loopback one.
func connectLoop(ip string) func(b *testing.B, n int) {
	return func(b *testing.B, n int) {
		if ip == "" {
			ip = agenttest.HostAddress(b)
		}
		l := agenttest.Listen(b, net.JoinHostPort(ip, "0"))
		addr := l.Addr().String()
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			// A reset, not a FIN: no TIME_WAIT holds the port (the
			// kernel reuses loopback ones, not the host address's: a
			// round of 40,000 ran out of ports).
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}
}

// runAgent starts an agent on the real programs and returns its stop,
// which returns the events it lost and the heap in use (MiB). With baselines, the
// process's own cgroup is a write root and a baselines detector runs.
func runAgent(b *testing.B, baselines bool) func() (lost uint64, heapMiB float64) {
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
	return func() (lost uint64, heapMiB float64) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		for _, n := range a.Lost() {
			lost += n
		}
		return lost, float64(ms.HeapInuse) / (1 << 20)
	}
}
