package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/kubetest"
)

func auditFixture(t *testing.T) string {
	t.Helper()
	priv := `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}`
	log := append(audittest.Lines(
		audittest.New("alice", "create").On("", "pods", "dev", "p").Req(priv),
		audittest.New("alice", "get").On("", "secrets", "dev", "db"),
		audittest.New("alice", "get").On("", "secrets", "dev", "db2"),
	), []byte("{broken\n")...)
	p := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(p, log, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func alertsOf(t *testing.T, out string) []detect.Alert {
	t.Helper()
	var as []detect.Alert
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var a detect.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		as = append(as, a)
	}
	return as
}

func TestAuditScan(t *testing.T) {
	log := auditFixture(t)
	code, out, stderr := runCLI(t, "audit", "scan", log)
	as := alertsOf(t, out)
	rules := map[string]int{}
	for _, a := range as {
		rules[a.Rule] += a.Count
	}
	// The second secret read folds into a summary with a count.
	if code != 0 || rules["privileged-pod"] != 1 || rules["secret-read"] != 2 || len(as) != 3 {
		t.Errorf("exit %d, alerts %v (%d lines)\n%s", code, rules, len(as), stderr)
	}
	if !strings.Contains(stderr, "audit.log") || !strings.Contains(stderr, "line=4") || !strings.Contains(stderr, "3 events, 1 malformed") {
		t.Errorf("stderr does not report the malformed line:\n%s", stderr)
	}
	code, _, _ = runCLI(t, "audit", "scan", "--fail-on", "high", log)
	if code != ExitFindings {
		t.Errorf("--fail-on high: exit %d", code)
	}
	code, out, _ = runCLI(t, "audit", "scan", "--fail-on", "critical", "--dedup-window", "0s", log)
	if code != 0 || len(alertsOf(t, out)) != 3 {
		t.Errorf("--fail-on critical --dedup-window 0s: exit %d, %d alerts", code, len(alertsOf(t, out)))
	}
	if code, _, _ := runCLI(t, "audit", "scan", filepath.Join(t.TempDir(), "missing")); code != ExitError {
		t.Errorf("missing file: exit %d", code)
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: AuditConfig\nrules: {disabled: [secret-read]}\n"), 0o600)
	code, out, _ = runCLI(t, "audit", "scan", "--config", cfg, log)
	if code != 0 || len(alertsOf(t, out)) != 1 {
		t.Errorf("with config: exit %d\n%s", code, out)
	}
	os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: AuditConfig\nrulez: {}\n"), 0o600)
	if code, _, stderr := runCLI(t, "audit", "scan", "--config", cfg, log); code != ExitError || !strings.Contains(stderr, "line 3") {
		t.Errorf("bad config: exit %d %s", code, stderr)
	}
}

func TestAuditRules(t *testing.T) {
	code, out, _ := runCLI(t, "audit", "rules")
	if code != 0 || !strings.Contains(out, "pod-exec") || !strings.Contains(out, "T1609") {
		t.Errorf("exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "audit", "rules", "-o", "json")
	var metas []detect.Meta
	if code != 0 || json.Unmarshal([]byte(out), &metas) != nil || len(metas) != len(detect.Rules()) {
		t.Errorf("json: exit %d, %d rules", code, len(metas))
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runUntil runs a long-running command until stop is called.
func runUntil(t *testing.T, args ...string) (out, stderr *syncBuffer, stop func() int) {
	t.Helper()
	out, stderr = &syncBuffer{}, &syncBuffer{}
	root := NewRoot(Streams{In: strings.NewReader(""), Out: out, Err: stderr})
	root.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				code = ExitError
				t.Logf("command: %v", err)
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return out, stderr, stop
}

func waitForOutput(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(b.String(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("output %q does not contain %q", b.String(), want)
}

func TestAuditWatch(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, audittest.Lines(audittest.New("old", "get").On("", "secrets", "dev", "old")), 0o600)
	pos := filepath.Join(dir, "pos.json")
	out, stderr, stop := runUntil(t, "audit", "watch", log, "--position", pos, "--poll", "20ms")
	waitForOutput(t, stderr, "watching audit log")
	time.Sleep(100 * time.Millisecond)
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(audittest.Lines(audittest.New("alice", "get").On("", "secrets", "dev", "db")))
	f.Close()
	waitForOutput(t, out, `"rule":"secret-read"`)
	if code := stop(); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if strings.Contains(out.String(), `"name":"old"`) {
		t.Error("watch read the log's existing lines without --from-start")
	}
	if _, err := os.Stat(pos); err != nil {
		t.Errorf("position not saved: %v", err)
	}
	// Without --state, the learned baselines go beside the position.
	if b, err := os.ReadFile(filepath.Join(dir, "pos.json.state.json")); err != nil || !strings.Contains(string(b), `"alice"`) {
		t.Errorf("baselines not saved: %v\n%s", err, b)
	}
}

func TestAuditServe(t *testing.T) {
	dir := t.TempDir()
	ca := kubetest.NewCA(t, dir)
	crt, key, _, _ := ca.Issue(t, "srv", "kubeward", "127.0.0.1")
	tok := filepath.Join(dir, "tokens")
	os.WriteFile(tok, []byte("tok-1\n"), 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	alerts := filepath.Join(dir, "alerts.jsonl")
	_, stderr, stop := runUntil(t, "audit", "serve", "--listen", addr, "--tls-cert", crt, "--tls-key", key, "--token-file", tok, "-o", "json="+alerts)
	waitForOutput(t, stderr, "receiving audit events")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body := audittest.List(audittest.New("alice", "create").On("rbac.authorization.k8s.io", "clusterrolebindings", "", "b").
		Req(`{"roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"m"}]}`))
	req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok-1")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	b, _ := os.ReadFile(alerts)
	if !strings.Contains(string(b), `"rule":"cluster-admin-binding"`) || !strings.Contains(stderr.String(), "1 events") {
		t.Errorf("alerts %s\nstderr %s", b, stderr.String())
	}
	if code, _, _ := runCLI(t, "audit", "serve", "--tls-cert", crt, "--tls-key", key); code != ExitError {
		t.Errorf("serve without authentication: exit %d", code)
	}
}

// The metrics port tells whoever reads it which of their actions raised
// alerts: off loopback it needs a token, and scrapes without one get 401.
func TestAuditMetricsNeedAToken(t *testing.T) {
	dir := t.TempDir()
	ca := kubetest.NewCA(t, dir)
	crt, key, _, _ := ca.Issue(t, "srv", "kubeward", "127.0.0.1")
	tok := filepath.Join(dir, "tokens")
	os.WriteFile(tok, []byte("tok-1\n"), 0o600)
	mtok := filepath.Join(dir, "metrics-tokens")
	os.WriteFile(mtok, []byte("scrape-1\n"), 0o600)
	free := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		return ln.Addr().String()
	}
	serve := []string{"audit", "serve", "--tls-cert", crt, "--tls-key", key, "--token-file", tok, "-o", "json=" + filepath.Join(dir, "alerts")}

	code, _, stderr := runCLI(t, append(serve, "--listen", free(), "--metrics-addr", "0.0.0.0:0")...)
	if code != ExitError || !strings.Contains(stderr, "--metrics-token-file") {
		t.Errorf("metrics on every address without a token: exit %d, %s", code, stderr)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	scrape := func(addr, token string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && !strings.Contains(string(b), "kubeward_audit_webhook_queue_bytes") {
			t.Errorf("metrics: %s", b)
		}
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name  string
		args  []string
		token string
		want  int
	}{
		{"token given, none sent", []string{"--metrics-token-file", mtok}, "", 401},
		{"token given, wrong one sent", []string{"--metrics-token-file", mtok}, "tok-1", 401},
		{"token given and sent", []string{"--metrics-token-file", mtok}, "scrape-1", 200},
		{"loopback without a token", nil, "", 200},
	} {
		maddr := free()
		_, stderr, stop := runUntil(t, append(append(serve, "--listen", free(), "--metrics-addr", maddr), tc.args...)...)
		waitForOutput(t, stderr, "receiving audit events")
		if got := scrape(maddr, tc.token); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
		stop()
	}
}

// audit scan fails closed: input that holds no audit event is an error with
// one sentence saying why, never a clean run with "0 events".
func TestAuditScanInputContract(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
	for _, tc := range []struct {
		name, content, want string
	}{
		{"pods.json", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}]}`, `its only document is malformed (line 1: apiVersion "v1" is not audit.k8s.io)`},
		{"app.log", "{\"level\":\"info\",\"msg\":\"started\"}\n{\"level\":\"warn\",\"msg\":\"slow\"}\n", "all 2 of its documents are malformed (line 1: not an audit event"},
		{"notes.txt", "hello\nworld\n", "all 2 of its documents are malformed"},
		{"empty.log", "", "it is empty"},
		{"list.json", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`, "its event lists are empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "audit", "scan", write(tc.name, tc.content))
			if code != ExitError || !strings.Contains(stderr, tc.name+" holds no audit events: "+tc.want) || strings.TrimSpace(out) != "" {
				t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
			}
		})
	}
	// A good file does not excuse a bad one beside it, and its alerts are
	// still written.
	code, out, stderr := runCLI(t, "audit", "scan", auditFixture(t), write("empty2.log", ""))
	if code != ExitError || len(alertsOf(t, out)) != 3 || !strings.Contains(stderr, "empty2.log holds no audit events") {
		t.Errorf("mixed: exit %d\n%s\n%s", code, out, stderr)
	}
	// The table says what the exit code says.
	code, out, _ = runCLI(t, "audit", "scan", auditFixture(t), write("empty3.log", ""), "-o", "table", "--fail-on", "high")
	if code != ExitError || !strings.Contains(out, "INCOMPLETE (1 input error") || strings.Contains(out, "passed") {
		t.Errorf("table of an incomplete run: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "audit", "scan", auditFixture(t), "-o", "table", "--fail-on", "high")
	if code != ExitFindings || !strings.Contains(out, "Gate --fail-on high: FAILED (1 alert at or above high).") {
		t.Errorf("table of a failed gate: exit %d\n%s", code, out)
	}
}

// GKE's Kubernetes audit logs, as gcloud logging read --format=json prints
// them, are read as the events they record.
func TestAuditScanGKE(t *testing.T) {
	entry := func(id, method, resource, payload string) string {
		return `{"insertId":"` + id + `","operation":{"id":"` + id + `","producer":"k8s.io","first":true,"last":true},
 "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"alice@example.com"},
  "methodName":"` + method + `","resourceName":"` + resource + `","serviceName":"k8s.io",
  "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"kubectl/v1.37.2"},"status":{}` + payload + `},
 "resource":{"type":"k8s_cluster","labels":{"cluster_name":"prod"}},"timestamp":"2026-03-01T12:00:00Z",
 "labels":{"authorization.k8s.io/decision":"allow"}}`
	}
	pod := `{"@type":"core.k8s.io/v1.Pod","metadata":{"name":"debug","namespace":"shop"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}`
	log := writeTestFile(t, t.TempDir(), "gke.json", "[\n"+
		entry("a1", "io.k8s.core.v1.pods.create", "core/v1/namespaces/shop/pods/debug", `,"request":`+pod)+",\n"+
		entry("a2", "io.k8s.core.v1.pods.exec.create", "core/v1/namespaces/shop/pods/debug/exec", "")+"\n]\n")
	code, out, stderr := runCLI(t, "audit", "scan", log, "-o", "json")
	rules := map[string]string{}
	for _, a := range alertsOf(t, out) {
		rules[a.Rule] = a.User + " " + a.Source
	}
	if code != 0 || !strings.HasPrefix(rules["privileged-pod"], "alice@example.com ") || !strings.HasPrefix(rules["pod-exec"], "alice@example.com ") ||
		!strings.Contains(stderr, "2 events, 0 malformed") {
		t.Errorf("exit %d, alerts %v\n%s", code, rules, stderr)
	}
}
