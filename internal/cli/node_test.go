package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/source/nodeconfig"
	"github.com/kubeward/kubeward/internal/source/nodeconfig/nodetest"
)

// nodeReport is the part of the JSON report the node tests read.
type nodeReport struct {
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Object   struct{ Kind, Name string }
		Source   struct {
			File string `json:"file"`
		} `json:"source"`
		Message string `json:"message"`
	} `json:"findings"`
}

// runJSON runs kubeward with a JSON report and returns the exit code and
// "check Kind/name" lines, sorted.
func runJSON(t *testing.T, args ...string) (int, []string, nodeReport, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, append(args, "-o", "json="+file)...)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, stderr)
	}
	var r nodeReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Check+" "+f.Object.Kind+"/"+f.Object.Name)
	}
	sort.Strings(got)
	return code, got, r, string(data)
}

// The version check depends on the day the test runs; it has its own tests.
var skipVersion = []string{"--skip-checks", "kubernetes-version-unsupported"}

func TestNodeHardened(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	code, got, _, _ := runJSON(t, append([]string{"node", "--root", n.Root}, skipVersion...)...)
	if code != ExitClean || len(got) != 0 {
		t.Errorf("a hardened node: exit %d, findings:\n%s", code, strings.Join(got, "\n"))
	}
}

func TestNodeWeak(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	n.Chmod("/etc/kubernetes/admin.conf", 0o644)
	n.Chmod("/etc/kubernetes/pki/ca.key", 0o640)
	n.Chmod("/var/lib/etcd", 0o755)
	n.Chown("/etc/kubernetes/manifests/kube-scheduler.yaml", 1000, 1000)
	n.Write("/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--read-only-port=10255\n", 0o600)
	n.Write("/var/lib/kubelet/config.yaml", strings.Replace(nodetest.KubeletConfig, "anonymous: {enabled: false}", "anonymous: {enabled: true}", 1), 0o600)
	n.Write("/etc/kubernetes/manifests/kube-apiserver.yaml", nodetest.StaticPod("kube-apiserver", without(nodetest.APIServerFlags, "--profiling=false")), 0o600)
	n.Write("/etc/kubernetes/enc/enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", 0o600)

	code, got, r, raw := runJSON(t, append([]string{"node", "--root", n.Root}, skipVersion...)...)
	want := []string{
		"apiserver-profiling Pod/kube-apiserver",
		"encryption-providers EncryptionConfiguration/",
		"file-admin-kubeconfig-permissions HostFile//etc/kubernetes/admin.conf",
		"file-etcd-data-dir-permissions HostFile//var/lib/etcd",
		"file-pki-key-permissions HostFile//etc/kubernetes/pki/ca.key",
		"file-scheduler-manifest-ownership HostFile//etc/kubernetes/manifests/kube-scheduler.yaml",
		"kubelet-anonymous-auth KubeletConfiguration/",
		"kubelet-read-only-port KubeletCommandLine/kubelet",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code != ExitFindings {
		t.Errorf("exit %d, want %d", code, ExitFindings)
	}
	for _, f := range r.Findings {
		switch f.Check {
		case "file-admin-kubeconfig-permissions":
			if f.Severity != "critical" {
				t.Errorf("a world-readable admin.conf is %s", f.Severity)
			}
		case "kubelet-read-only-port":
			if !strings.Contains(f.Message, "/etc/default/kubelet:1") {
				t.Errorf("the message does not say where the flag is set: %s", f.Message)
			}
		case "encryption-providers":
			if f.Source.File != "/etc/kubernetes/enc/enc.yaml" || !strings.Contains(f.Message, "Pod/kube-system/kube-apiserver") {
				t.Errorf("encryption finding %+v", f)
			}
		}
	}
	if strings.Contains(raw, n.Root) {
		t.Error("the report shows the test's root directory instead of node paths")
	}
}

// scan --node-config reads copied files: the same configuration checks, no
// file-permission checks (copies' modes mean nothing).
func TestScanNodeConfig(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	n.Write("/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--read-only-port=10255\n", 0o600)
	n.Chmod("/etc/kubernetes/admin.conf", 0o644)
	n.Write("/etc/kubernetes/manifests/etcd.yaml", nodetest.StaticPod("etcd", append(without(nodetest.EtcdFlags, "--client-cert-auth=true"), "--client-cert-auth=false")), 0o600)
	n.Write("/var/lib/kubelet/config.yaml", strings.Replace(nodetest.KubeletConfig, "seccompDefault: true", "seccompDefault: false", 1), 0o600)
	n.Write("/etc/kubernetes/enc/enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", 0o600)
	code, got, r, _ := runJSON(t, append([]string{"scan", "--node-config", n.Root}, skipVersion...)...)
	want := []string{
		"encryption-providers EncryptionConfiguration/",
		"etcd-client-cert-auth Pod/etcd",
		"kubelet-read-only-port KubeletCommandLine/kubelet",
		"kubelet-seccomp-default KubeletConfiguration/",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The copies are tied to what names them: the API server's flag, the
	// kubelet's --config.
	for _, f := range r.Findings {
		if f.Check == "encryption-providers" && !strings.Contains(f.Message, "Pod/kube-system/kube-apiserver") {
			t.Errorf("not linked to the API server: %s", f.Message)
		}
		if f.Check == "kubelet-seccomp-default" && !strings.Contains(f.Message, "10-kubeadm.conf") {
			t.Errorf("not tied to the kubelet's unit: %s", f.Message)
		}
	}
	if code != ExitFindings {
		t.Errorf("exit %d", code)
	}
	for _, bad := range [][]string{
		{"scan", "--node-config", n.Root, "."},
		{"scan", "--node-config", n.Root, "--cluster"},
		{"scan", "--node-config", filepath.Join(n.Root, "missing")},
		{"node", "--root", filepath.Join(n.Root, "missing")},
		{"node", "extra-arg"},
	} {
		if code, _, _ := runCLI(t, bad...); code != ExitError {
			t.Errorf("%q: exit %d, want %d", bad, code, ExitError)
		}
	}
}

func without(flags []string, drop string) []string {
	var out []string
	for _, f := range flags {
		if f != drop {
			out = append(out, f)
		}
	}
	return out
}

// kubeward node on a machine that is not a node fails closed with one
// sentence, instead of "Gate: passed" over nothing.
func TestNodeNotANode(t *testing.T) {
	n := nodetest.Empty(t)
	n.Write("/etc/kubernetes/admin.conf", "apiVersion: v1\nkind: Config\n", 0o600)
	code, out, stderr := runCLI(t, "node", "--root", n.Root)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != ExitError || len(lines) != 1 || !strings.Contains(stderr, "is not a Kubernetes node: no kubelet") || strings.Contains(out, "passed") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	code, _, stderr = runCLI(t, "scan", "--node-config", nodetest.Empty(t).Root)
	if code != ExitError || !strings.Contains(stderr, "holds no node configuration") {
		t.Errorf("scan --node-config of an empty directory: exit %d\n%s", code, stderr)
	}
}

// The kubelet merges the files of --config-dir over its configuration file
// in filepath.WalkDir's order, without defaulting what they set, and its
// flags win over both (k/k cmd/kubelet/app/server.go,
// mergeKubeletConfigurations). Findings name the drop-in that decides.
func TestNodeKubeletConfigDir(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	const d = "/etc/kubernetes/kubelet.conf.d"
	n.Write("/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--config-dir="+d+" --seccomp-default=true\n", 0o600)
	kc := "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
	// Turned on by 10, off again by 20: passes.
	n.Write(d+"/10-anonymous.conf", kc+"authentication: {anonymous: {enabled: true}}\n", 0o600)
	n.Write(d+"/20-anonymous-off.conf", kc+"authentication: {anonymous: {enabled: false}}\n", 0o600)
	// "ro/" sorts before "ro.conf" in WalkDir's order: ro.conf decides.
	n.Write(d+"/ro/port.conf", kc+"readOnlyPort: 0\n", 0o600)
	n.Write(d+"/ro.conf", kc+"readOnlyPort: 10255\n", 0o600)
	// A zero the file's defaulting would turn into 4h stays zero in a drop-in.
	n.Write(d+"/30-streaming.conf", kc+"streamingConnectionIdleTimeout: 0s\n", 0o644)
	// Not *.conf: the kubelet ignores it.
	n.Write(d+"/40-ignored.yaml", kc+"authorization: {mode: AlwaysAllow}\n", 0o600)
	// The flag wins over a drop-in.
	n.Write(d+"/50-seccomp.conf", kc+"seccompDefault: false\n", 0o600)

	_, got, r, _ := runJSON(t, append([]string{"node", "--root", n.Root}, skipVersion...)...)
	want := []string{
		"file-kubelet-config-permissions HostFile//etc/kubernetes/kubelet.conf.d/30-streaming.conf",
		"kubelet-read-only-port KubeletConfiguration/",
		"kubelet-streaming-idle-timeout KubeletConfiguration/",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range r.Findings {
		wantFile := map[string]string{"kubelet-read-only-port": d + "/ro.conf", "kubelet-streaming-idle-timeout": d + "/30-streaming.conf"}[f.Check]
		if wantFile != "" && f.Source.File != wantFile {
			t.Errorf("%s is placed in %s, want the drop-in that sets it, %s", f.Check, f.Source.File, wantFile)
		}
	}

	// The same files copied and read by scan --node-config: the drop-ins are
	// found below the copy's path.
	_, got, _, _ = runJSON(t, append([]string{"scan", "--node-config", n.Root}, skipVersion...)...)
	if strings.Join(got, "\n") != strings.Join(want[1:], "\n") {
		t.Errorf("scan --node-config findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want[1:], "\n"))
	}

	// scan --node-config on a copy without the directory cannot know what
	// the drop-ins change: the kubelet checks the flags do not decide are
	// not judged, not passed.
	n.Remove(d)
	code, got, _, raw := runJSON(t, append([]string{"scan", "--node-config", n.Root, "--fail-on", "none", "--fail-on-incomplete"}, skipVersion...)...)
	for _, g := range got {
		if strings.HasPrefix(g, "kubelet-") {
			t.Errorf("judged without the drop-ins: %s", g)
		}
	}
	if code != ExitFindings || !strings.Contains(raw, "--config-dir names a directory") {
		t.Errorf("scan --node-config without the drop-in directory: exit %d, want %d with the gap saying why:\n%s", code, ExitFindings, raw)
	}
}
