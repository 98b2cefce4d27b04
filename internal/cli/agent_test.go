package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/agenttest"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAgentCommand runs kubeward agent against a real API server: alerts
// of a simulated container name its pod, an exception silences its rule
// until it expires, and SIGTERM stops the agent cleanly.
func TestAgentCommand(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	pod := agenttest.Pod(t, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}, "node-a", "app")
	c := agenttest.NewContainer(t, string(pod.UID))
	agenttest.Running(t, cs, pod, map[string]string{"app": c.ID})

	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.yaml")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if err := os.WriteFile(cfg, []byte(`apiVersion: kubeward.dev/v1alpha1
kind: AgentConfig
exceptions:
- rule: sensitive-file-read
  workloads: [Pod/web]
  reason: the image's login service reads shadow (ticket 42)
  expires: `+future+`
- rule: terminal-shell-in-container
  namespaces: [shop]
  reason: expired, so the rule fires again
  expires: `+past+`
`), 0o600); err != nil {
		t.Fatal(err)
	}
	alerts := filepath.Join(dir, "alerts.jsonl")
	done, stderr := startAgent(t, "--node", "node-a", "--kubeconfig", cl.UserKubeconfig("admin", "system:masters"),
		"--config", cfg, "-o", "json="+alerts, "--dedup-window", "0")
	other := time.Now()
	var got map[string]detect.Alert
	for {
		// The pod index may lag the first events: repeat until an alert
		// names the pod.
		c.Run(t, "cat /etc/shadow >/dev/null; script -qec 'sh -c true' /dev/null >/dev/null")
		got = readAlerts(t, alerts)
		if a, ok := got["terminal-shell-in-container"]; ok && a.Object != nil {
			break
		}
		if time.Since(other) > 20*time.Second {
			t.Fatalf("no attributed alert; alerts %v\n%s", got, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	a := got["terminal-shell-in-container"]
	if a.Object.Namespace != "shop" || a.Object.Name != "web" || a.Node != "node-a" || a.Workload != "Pod/web" || a.Process.Container != "app" {
		t.Errorf("alert %+v (object %+v, process %+v)", a, a.Object, a.Process)
	}
	if _, ok := got["sensitive-file-read"]; ok {
		t.Error("the exception for sensitive-file-read did not silence it")
	}
	stopAgent(t, done, stderr)
	if !strings.Contains(stderr.String(), "exception expired") {
		t.Errorf("no warning about the expired exception:\n%s", stderr.String())
	}
}

// startAgent runs kubeward agent with args until it logs that it runs;
// done receives its exit code.
func startAgent(t *testing.T, args ...string) (done chan int, stderr *syncBuffer) {
	t.Helper()
	stderr = &syncBuffer{}
	done = make(chan int, 1)
	go func() {
		done <- Main(append([]string{"agent"}, args...), Streams{In: strings.NewReader(""), Out: &syncBuffer{}, Err: stderr})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "agent running") {
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not start:\n%s", stderr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("the agent exited with %d:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return done, stderr
}

// stopAgent sends SIGTERM and waits for a clean exit.
func stopAgent(t *testing.T, done chan int, stderr *syncBuffer) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop on SIGTERM")
	}
}

// TestAgentCommandBaselines: kubeward agent --baselines reports every file
// a pod writes (the write roots are the pods' cgroups found at start):
// a file the hand-written baseline names is known, another alerts; the
// baselines are saved at exit with the entry kept.
func TestAgentCommandBaselines(t *testing.T) {
	agenttest.RequireBPF(t)
	cl := kubetest.Start(t, kubetest.Options{})
	cs := cl.Client()
	pod := agenttest.Pod(t, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}}, "node-a", "app")
	c := agenttest.NewContainer(t, string(pod.UID))
	agenttest.Running(t, cs, pod, map[string]string{"app": c.ID})

	dir := t.TempDir()
	data, err := os.MkdirTemp("/run", "kubeward-cli-baseline-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	baselines := filepath.Join(dir, "baselines.json")
	if err := os.WriteFile(baselines, []byte(`{"shop/Pod/web": {"since": "2026-01-01T00:00:00Z", "executables": [], "files": ["`+data+`/known.log"], "peers": []}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	alerts := filepath.Join(dir, "alerts.jsonl")
	done, stderr := startAgent(t, "--node", "node-a", "--kubeconfig", cl.UserKubeconfig("admin", "system:masters"),
		"--baselines", baselines, "-o", "json="+alerts, "--dedup-window", "0")
	novel := func() (paths []string) {
		raw, _ := os.ReadFile(alerts)
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var a detect.Alert
			if json.Unmarshal([]byte(line), &a) == nil && a.Rule == "novel-file-write" {
				paths = append(paths, a.Details["path"])
			}
		}
		return paths
	}
	start := time.Now()
	for len(novel()) == 0 {
		// The pod index may lag the first events: repeat.
		c.Run(t, "echo a >"+data+"/known.log; echo b >"+data+"/novel.log")
		if time.Since(start) > 20*time.Second {
			t.Fatalf("no novel-file-write\n%s", stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopAgent(t, done, stderr)
	for _, p := range novel() {
		if p != data+"/novel.log" {
			t.Errorf("novel-file-write on %s", p)
		}
	}
	saved, err := os.ReadFile(baselines)
	if err != nil || !strings.Contains(string(saved), data+"/known.log") {
		t.Errorf("saved baselines lost the hand-written entry: %v\n%s", err, saved)
	}
}

// readAlerts reads a JSON lines file of alerts, by rule (the last wins).
func readAlerts(t *testing.T, path string) map[string]detect.Alert {
	t.Helper()
	out := map[string]detect.Alert{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a detect.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("alert line %q: %v", sc.Text(), err)
		}
		out[a.Rule] = a
	}
	return out
}

// TestAgentBaselinesCommand: kubeward agent baselines shows a baselines
// file per workload and refuses one the agent would refuse.
func TestAgentBaselinesCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"shop/Deployment/web": {"since": "2026-12-07T08:00:00Z", "executables": ["/usr/bin/web"],
		"files": ["/var/log/web/*.log", "/tmp/", "/x/\u001bc"],
		"peers": [{"workload": "shop/Deployment/db", "port": 5432, "protocol": "TCP"}, {"address": "10.0.0.0/8", "protocol": "UDP"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "agent", "baselines", "--learn", "1h", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"shop/Deployment/web  learned 2026-12-07T08:00:00Z to 2026-12-07T09:00:00Z",
		"files (3): /tmp/, /var/log/web/*.log, \"/x/\\x1bc\"",
		"peers (2): 10.0.0.0/8 UDP/*, shop/Deployment/db TCP/5432",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("a control character reached the terminal")
	}
	code, out, _ = runCLI(t, "agent", "baselines", "-o", "json", good)
	var back map[string]map[string]any
	if err := json.Unmarshal([]byte(out), &back); code != 0 || err != nil || back["shop/Deployment/web"]["files"] == nil {
		t.Errorf("json: exit %d, %v\n%s", code, err, out)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"shop/Deployment/web": {"since": "2026-12-07T08:00:00Z", "peers": [{"adress": "10.0.0.1", "protocol": "TCP"}]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{bad, filepath.Join(dir, "missing.json")} {
		if code, _, stderr := runCLI(t, "agent", "baselines", file); code != ExitError || stderr == "" {
			t.Errorf("%s: exit %d, %s", file, code, stderr)
		}
	}
}
