package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/checks/controlplane"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// CIS items whose truth needs a running component are proven on the real
// binaries: what kubeward reports is what the process does.

// scanChecks runs a cluster scan of the given checks and decodes its report.
func scanChecks(t *testing.T, kubeconfig string, checks ...string) jsonReport {
	t.Helper()
	code, r, _ := scanJSON(t, "--kubeconfig", kubeconfig, "--fail-on", "none", "--checks", strings.Join(checks, ","))
	if code != ExitClean {
		t.Fatalf("scan: exit %d", code)
	}
	return r
}

// acceptsSuite reports whether the server at rawURL completes a TLS 1.2
// handshake when the client offers only the named suite.
func acceptsSuite(t *testing.T, rawURL string, caPEM []byte, suite string) bool {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	var id uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.Name == suite {
			id = s.ID
		}
	}
	if id == 0 {
		t.Fatalf("unknown suite %s", suite)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	conn, err := tls.DialWithDialer(&netDialer, "tcp", u.Host, &tls.Config{
		RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{id},
	})
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

var netDialer = net.Dialer{Timeout: 10 * time.Second}

// CIS 1.2.29: an API server with no --tls-cipher-suites accepts CBC suites
// (its serving key is ECDSA, so the ECDSA suites are the ones it can
// choose); kubeward reports exactly the weak suites the server accepts. With
// the CIS list, the same handshakes fail and kubeward is silent.
func TestAPIServerCipherSuitesLive(t *testing.T) {
	kubetest.SkipIfShort(t)
	unset := kubetest.Start(t, kubetest.Options{})
	mirrorPod(t, unset.Client(), "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.2", unset.APIServerArgs())
	var accepted []string
	for _, s := range componentflags.DefaultCipherSuites(componentflags.GoTLS{GoLine: 21, GODEBUG: ""}) {
		if acceptsSuite(t, unset.URL, unset.CAPEM, s) {
			accepted = append(accepted, s)
		}
	}
	if !slices.Contains(accepted, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") {
		t.Fatalf("the API server without --tls-cipher-suites accepts %q: the premise (CBC accepted) does not hold", accepted)
	}
	r := scanChecks(t, unset.Kubeconfig, "apiserver-tls-cipher-suites")
	if len(r.Findings) != 1 {
		t.Fatalf("findings %+v, want apiserver-tls-cipher-suites on the mirror Pod", r.Findings)
	}
	msg := r.Findings[0].Message
	for _, s := range accepted {
		weak := componentflags.ClassifyCipher(s) != componentflags.CipherStrong
		if weak != strings.Contains(msg, s) {
			t.Errorf("the server accepts %s (weak: %v) but the finding says: %s", s, weak, msg)
		}
	}
	for _, s := range []string{"TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"} {
		if strings.Contains(msg, s) {
			t.Errorf("v1.37 (go 1.26 line) excludes %s from its defaults, but the finding names it: %s", s, msg)
		}
	}

	strong := kubetest.Start(t, kubetest.Options{APIServerFlags: []string{"--tls-cipher-suites=" + controlplane.StrongCiphers}})
	mirrorPod(t, strong.Client(), "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.2", strong.APIServerArgs())
	if acceptsSuite(t, strong.URL, strong.CAPEM, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA") {
		t.Error("the API server with the CIS list still accepts a CBC suite")
	}
	if !acceptsSuite(t, strong.URL, strong.CAPEM, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") {
		t.Error("the API server with the CIS list refuses AES-GCM")
	}
	if r := scanChecks(t, strong.Kubeconfig, "apiserver-tls-cipher-suites"); len(r.Findings) != 0 {
		t.Errorf("the CIS list: findings %+v", r.Findings)
	}
}

// CIS 1.4.1: a real kube-scheduler started with --profiling=false and a
// --config file that says nothing of profiling serves /debug/pprof (the
// flag is ignored with --config). kubeward reads the file and reports it,
// where the file is: on the node (kubeward node, scan --node-config); a
// cluster scan, which cannot read the node's file, reports the scheduler
// as a coverage gap, not as a pass. With enableProfiling: false in the
// file, pprof is gone and kubeward is silent.
func TestSchedulerProfilingLive(t *testing.T) {
	kubetest.SkipIfShort(t)
	for _, tc := range []struct {
		name, extra string
		served      bool
	}{{"file silent: profiling on", "", true}, {"file says false", "enableProfiling: false\n", false}} {
		t.Run(tc.name, func(t *testing.T) {
			config := "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n" +
				"clientConnection: {kubeconfig: {{DIR}}/scheduler.kubeconfig}\nleaderElection: {leaderElect: false}\n" + tc.extra
			c := kubetest.Start(t, kubetest.Options{Scheduler: true,
				SchedulerFlags: []string{"--config={{DIR}}/scheduler-config.yaml", "--profiling=false"},
				Files:          map[string][]byte{"scheduler-config.yaml": []byte(config)}})
			tlsCfg, err := rest.TLSConfigFor(c.Config)
			if err != nil {
				t.Fatal(err)
			}
			hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
			resp, err := hc.Get(c.SchedulerURL + "/debug/pprof/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if served := resp.StatusCode == http.StatusOK; served != tc.served {
				t.Fatalf("GET /debug/pprof/ as admin: %d; the premise (served: %v) does not hold", resp.StatusCode, tc.served)
			}

			// On the node: the static Pod and the file it names.
			dir := t.TempDir()
			manifest := staticManifest("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.37.2", c.SchedulerArgs())
			writeNodeFile(t, filepath.Join(dir, "manifests", "kube-scheduler.yaml"), manifest)
			data, err := os.ReadFile(filepath.Join(c.Dir, "scheduler-config.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			// Copied files keep their node paths under the directory.
			writeNodeFile(t, filepath.Join(dir, c.Dir, "scheduler-config.yaml"), string(data))
			_, got, _, _ := runJSON(t, "scan", "--node-config", dir, "--checks", "scheduler-profiling", "--fail-on", "none")
			if reported := slices.Contains(got, "scheduler-profiling KubeSchedulerConfiguration/"); reported != tc.served {
				t.Errorf("node files: findings %q; pprof served: %v", got, tc.served)
			}

			// From the API: the mirror Pod alone, the file out of reach.
			mirrorPod(t, c.Client(), "kube-scheduler", "registry.k8s.io/kube-scheduler:v1.37.2", c.SchedulerArgs())
			code, r, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--checks", "scheduler-profiling", "--fail-on", "none", "--fail-on-incomplete")
			if len(r.Findings) != 0 || code != ExitFindings || len(r.Gaps) != 1 || r.Gaps[0].ID != "kube-scheduler-config" ||
				!slices.Contains(r.Gaps[0].Objects, "Pod/kube-system/kube-scheduler-cp1") {
				t.Errorf("cluster scan: exit %d, findings %+v, gaps %+v; want the scheduler as a gap that fails --fail-on-incomplete", code, r.Findings, r.Gaps)
			}
		})
	}
}

// staticManifest renders a static Pod running component with args.
func staticManifest(component, image string, args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: kube-system\n  labels: {component: %s, tier: control-plane}\nspec:\n  hostNetwork: true\n  containers:\n  - name: %s\n    image: %s\n    command:\n    - %s\n", component, component, component, image, component)
	for _, a := range args {
		fmt.Fprintf(&b, "    - %q\n", a)
	}
	return b.String()
}

func writeNodeFile(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// One kind the API server cannot serve does not stop a cluster scan: etcd
// holds a ConfigMap encrypted with a key the API server no longer has (as
// after a key was replaced instead of rotated), so listing ConfigMaps
// fails on the server. The scan reports ConfigMaps as a coverage gap with
// the server's error, and judges everything else.
func TestScanClusterUndecryptableKind(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{"--encryption-provider-config={{DIR}}/encryption.yaml"},
		Files: map[string][]byte{"encryption.yaml": []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" +
			"- resources: [configmaps]\n  providers:\n  - aescbc: {keys: [{name: key1, secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}]}\n")},
	})
	cs := c.Client()
	seed(t, cs)
	ctx := t.Context()
	if _, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "readable"},
		Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if stored := etcdValue(t, c.EtcdHTTPClient(), c.EtcdURL, "/registry/configmaps/shop/readable"); !strings.HasPrefix(stored, "k8s:enc:aescbc:v1:key1:") {
		t.Fatalf("etcd holds %.30q: the ConfigMap is not encrypted", stored)
	}
	// Written with another key of the same name: the server cannot decrypt it.
	etcdPut(t, c.EtcdHTTPClient(), c.EtcdURL, "/registry/configmaps/shop/lost-key", "k8s:enc:aescbc:v1:key1:"+strings.Repeat("\x07", 48))
	var listErr error
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, listErr = cs.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{}); listErr != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if listErr == nil {
		t.Fatal("the API server still lists ConfigMaps: the premise (an unreadable kind) does not hold")
	}
	t.Logf("listing ConfigMaps: %v", listErr)

	code, r, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "none")
	if code != ExitClean {
		t.Fatalf("exit %d, want 0: one unreadable kind must not stop the scan", code)
	}
	if !r.has("pss-privileged", "Deployment/shop/web") {
		t.Error("the readable kinds were not judged")
	}
	found := false
	for _, g := range r.Gaps {
		if g.ID == "configmaps" {
			found = true
			if !strings.Contains(g.Reason, "HTTP 500") || len(g.Partial)+len(g.NotRun) == 0 || g.Grant != nil {
				t.Errorf("configmaps gap %+v", g)
			}
		}
	}
	if !found {
		t.Errorf("no configmaps gap in %+v", r.Gaps)
	}
	if code, _, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "none", "--fail-on-incomplete"); code != ExitFindings {
		t.Errorf("--fail-on-incomplete: exit %d, want %d", code, ExitFindings)
	}
	if code, _, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "none", "--fail-on-incomplete",
		"--ignore-gap", "configmaps=the old key is lost; those ConfigMaps are being recreated",
		"--ignore-gap", "control-plane=no mirror Pods in this test cluster", "--ignore-gap", "kubelet=no nodes",
		"--ignore-gap", "node-files=no nodes", "--ignore-gap", "kube-proxy=no kube-proxy"); code != ExitClean {
		t.Errorf("--fail-on-incomplete with every gap accepted: exit %d, want 0", code)
	}
}

// etcdPut writes a key through etcd's v3 JSON gateway.
func etcdPut(t *testing.T, hc *http.Client, etcdURL, key, value string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key)), "value": base64.StdEncoding.EncodeToString([]byte(value))})
	resp, err := hc.Post(etcdURL+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("etcd put %s: %s", key, resp.Status)
	}
}
