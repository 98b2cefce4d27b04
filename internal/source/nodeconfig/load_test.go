package nodeconfig_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	model "github.com/kubeward/kubeward/internal/nodeconfig"
	"github.com/kubeward/kubeward/internal/source/nodeconfig"
	"github.com/kubeward/kubeward/internal/source/nodeconfig/nodetest"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func decoder() *manifest.Decoder {
	return &manifest.Decoder{Reads: func(schema.GroupKind) bool { return true }, Log: &diag.Log{}}
}

func kinds(inv *inventory.Inventory) string {
	count := map[string]int{}
	for _, o := range inv.All() {
		count[o.Kind]++
	}
	var out []string
	for k, n := range count {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestLoadNodeFromUnit(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	inv, err := nodeconfig.LoadNode(n.Root, decoder())
	if err != nil {
		t.Fatal(err)
	}
	// HostFiles: 4 manifests, the etcd data directory, 5 kubeconfigs, the PKI
	// (2 directories, 20 files), the kubelet's configuration, unit and
	// drop-in, and a CNI file.
	if got := kinds(inv); got != "EncryptionConfiguration=1 HostFile=34 KubeletCommandLine=1 KubeletConfiguration=1 Pod=4 Policy=1" {
		t.Errorf("kinds: %s", got)
	}
	cmd := inv.ByKind(model.KindKubeletCommandLine)[0]
	args, _ := model.KubeletArgs(cmd)
	if cmd.Source.File != "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf" || len(args) != 5 ||
		args[2].Value != "--config=/var/lib/kubelet/config.yaml" || args[3].Origin != "/var/lib/kubelet/kubeadm-flags.env:1" {
		t.Errorf("kubelet command line from %s: %+v", cmd.Source.File, args)
	}
	roles := map[string][]model.Role{}
	for _, o := range inv.ByKind(model.KindHostFile) {
		fi, ok := model.HostFileOf(o)
		if !ok {
			t.Fatalf("bad host file %v", o.Raw)
		}
		roles[fi.Path] = fi.Roles
		if fi.UID != 0 || fi.User != "root" {
			t.Errorf("%s owned by %d (%s)", fi.Path, fi.UID, fi.User)
		}
	}
	for p, want := range map[string]string{
		"/etc/kubernetes/manifests/kube-apiserver.yaml":             "[apiserver-manifest]",
		"/etc/kubernetes/manifests/etcd.yaml":                       "[etcd-manifest]",
		"/var/lib/etcd":                                             "[etcd-data-dir]",
		"/etc/kubernetes/admin.conf":                                "[admin-kubeconfig]",
		"/etc/kubernetes/super-admin.conf":                          "[admin-kubeconfig]",
		"/etc/kubernetes/scheduler.conf":                            "[scheduler-kubeconfig]",
		"/etc/kubernetes/controller-manager.conf":                   "[controller-manager-kubeconfig]",
		"/etc/kubernetes/kubelet.conf":                              "[kubelet-kubeconfig]",
		"/etc/kubernetes/pki":                                       "[pki]",
		"/etc/kubernetes/pki/ca.crt":                                "[client-ca pki pki-cert]",
		"/etc/kubernetes/pki/etcd/ca.key":                           "[pki pki-key]",
		"/var/lib/kubelet/config.yaml":                              "[kubelet-config]",
		"/usr/lib/systemd/system/kubelet.service":                   "[kubelet-service]",
		"/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf": "[kubelet-service]",
		"/etc/cni/net.d/10-calico.conflist":                         "[cni]",
	} {
		got := append([]model.Role(nil), roles[p]...)
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if fmt.Sprint(got) != want {
			t.Errorf("%s: roles %v, want %s", p, got, want)
		}
	}
	// Key material is gone as soon as it is read.
	for _, o := range inv.ByKind(schema.GroupKind{Group: "apiserver.config.k8s.io", Kind: "EncryptionConfiguration"}) {
		if s := fmt.Sprint(o.Raw.Object); strings.Contains(s, "c2VjcmV0") || !strings.Contains(s, "REDACTED") {
			t.Errorf("encryption key in memory: %s", s)
		}
	}
}

func TestLoadNodeFromProc(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	n.Write("/proc/1/cmdline", "/sbin/init\x00", 0o444)
	n.Write("/proc/4242/cmdline", "/usr/bin/kubelet\x00--config=/var/lib/kubelet/config.yaml\x00--read-only-port=10255\x00", 0o444)
	n.Write("/proc/self/cmdline", "x\x00", 0o444)
	inv, err := nodeconfig.LoadNode(n.Root, decoder())
	if err != nil {
		t.Fatal(err)
	}
	cmd := inv.ByKind(model.KindKubeletCommandLine)
	if len(cmd) != 1 || cmd[0].Source.File != "/proc/4242/cmdline" {
		t.Fatalf("command lines %+v", cmd)
	}
	args, _ := model.KubeletArgs(cmd[0])
	if len(args) != 2 || args[1].Value != "--read-only-port=10255" {
		t.Errorf("args %+v", args)
	}
}

func TestLoadNodeMissingRoot(t *testing.T) {
	if _, err := nodeconfig.LoadNode("/does/not/exist", decoder()); err == nil {
		t.Error("no error for a missing root")
	}
}

// A directory of copied files: the kubelet's command line is rebuilt from
// the unit and environment files it holds, and without a unit from
// kubeadm-flags.env with kubeadm's drop-in assumed.
func TestLoadDir(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	n.Write("/etc/default/kubelet", "KUBELET_EXTRA_ARGS=--read-only-port=10255\n", 0o600)
	inv, err := nodeconfig.LoadDir(n.Path("/"), decoder())
	if err != nil {
		t.Fatal(err)
	}
	cmd := inv.ByKind(model.KindKubeletCommandLine)
	if len(cmd) != 1 {
		t.Fatalf("command lines: %d", len(cmd))
	}
	args, _ := model.KubeletArgs(cmd[0])
	last := args[len(args)-1]
	if last.Value != "--read-only-port=10255" || !strings.HasSuffix(last.Origin, "/etc/default/kubelet:1") {
		t.Errorf("last arg %+v", last)
	}
	if !strings.HasSuffix(cmd[0].Source.File, "10-kubeadm.conf") {
		t.Errorf("source %s", cmd[0].Source.File)
	}
	if len(inv.ByKind(model.KindHostFile)) != 0 {
		t.Error("copied files' modes mean nothing: no HostFile objects")
	}

	only := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	dir := only.Path("/var/lib/kubelet")
	inv, err = nodeconfig.LoadDir(dir, decoder())
	if err != nil {
		t.Fatal(err)
	}
	cmd = inv.ByKind(model.KindKubeletCommandLine)
	if len(cmd) != 1 {
		t.Fatalf("command lines from kubeadm-flags.env alone: %d", len(cmd))
	}
	args, _ = model.KubeletArgs(cmd[0])
	if len(args) != 5 || !strings.HasSuffix(cmd[0].Source.File, "kubeadm-flags.env") || !strings.Contains(args[0].Origin, "assumed") {
		t.Errorf("assumed drop-in: %s %+v", cmd[0].Source.File, args)
	}
	if _, err := nodeconfig.LoadDir(n.Path("/etc/passwd"), decoder()); err == nil {
		t.Error("a file is not a directory")
	}
}

// A machine that is not a node, or a --root that is not its filesystem,
// holds nothing the node checks judge: an error, never a clean report of the
// few files that happen to exist.
func TestLoadNodeNotANode(t *testing.T) {
	n := nodetest.Kubeadm(t, nodeconfig.KubeadmDropIn)
	for _, p := range []string{"/etc/kubernetes/manifests", "/usr/lib/systemd/system", "/var/lib/kubelet"} {
		n.Remove(p)
	}
	// PKI and kubeconfigs alone (a workstation with admin.conf) are not a node.
	_, err := nodeconfig.LoadNode(n.Root, decoder())
	if err == nil || !strings.Contains(err.Error(), "is not a Kubernetes node") {
		t.Fatalf("err = %v", err)
	}
	// A worker: a kubelet unit and no control plane.
	n.Write("/usr/lib/systemd/system/kubelet.service", nodetest.KubeletUnit, 0o600)
	if _, err := nodeconfig.LoadNode(n.Root, decoder()); err != nil {
		t.Errorf("a worker node: %v", err)
	}
	// A control plane whose kubelet unit is elsewhere.
	n.Remove("/usr/lib/systemd/system")
	n.Write("/etc/kubernetes/manifests/etcd.yaml", nodetest.StaticPod("etcd", nodetest.EtcdFlags), 0o600)
	if _, err := nodeconfig.LoadNode(n.Root, decoder()); err != nil {
		t.Errorf("static pods only: %v", err)
	}
}

func TestLoadDirWithoutNodeConfig(t *testing.T) {
	n := nodetest.Empty(t)
	dir := n.Root
	if _, err := nodeconfig.LoadDir(dir, decoder()); err == nil || !strings.Contains(err.Error(), "holds no node configuration") {
		t.Errorf("empty directory: %v", err)
	}
	n.Write("/app/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: c, image: x}]}}}\n", 0o600)
	n.Write("/notes.txt", "hello\n", 0o600)
	dec := decoder()
	dec.Reads = func(gk schema.GroupKind) bool { return gk.Kind == "KubeletConfiguration" || gk.Kind == "Pod" }
	if _, err := nodeconfig.LoadDir(dir, dec); err == nil || !strings.Contains(err.Error(), "holds no node configuration") {
		t.Errorf("a Deployment is not node configuration: %v", err)
	}
}
