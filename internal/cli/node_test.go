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
