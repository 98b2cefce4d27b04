// Package nodetest builds fake node filesystems laid out as kubeadm lays out
// a control-plane node, hardened, for tests of kubeward node and scan
// --node-config. Tests then weaken what they test.
package nodetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Node is a fake node's root directory.
type Node struct {
	Root string
	t    testing.TB
}

// APIServerFlags are a hardened kube-apiserver's flags (kubeadm's plus the
// CIS recommendations kubeadm leaves out).
var APIServerFlags = []string{
	"--advertise-address=10.0.0.10", "--allow-privileged=true", "--anonymous-auth=false",
	"--audit-log-path=/var/log/kubernetes/audit/audit.log", "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
	"--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
	"--enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
	"--admission-control-config-file=/etc/kubernetes/admission.yaml",
	"--enable-bootstrap-token-auth=true", "--encryption-provider-config=/etc/kubernetes/enc/enc.yaml",
	"--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt", "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
	"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key", "--etcd-servers=https://127.0.0.1:2379",
	"--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
	"--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
	"--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key", "--profiling=false", "--secure-port=6443",
	"--service-account-extend-token-expiration=false", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
	"--service-account-key-file=/etc/kubernetes/pki/sa.pub", "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
	"--service-cluster-ip-range=10.96.0.0/12", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
	"--tls-private-key-file=/etc/kubernetes/pki/apiserver.key", "--tls-cipher-suites=" + StrongCiphers,
}

// StrongCiphers are the suites CIS 1.2.29, 4.2.12 allow: without a list the
// components accept Go's defaults, CBC suites included.
const StrongCiphers = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"

// ControllerManagerFlags are kubeadm's, with profiling off.
var ControllerManagerFlags = []string{
	"--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf", "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
	"--bind-address=127.0.0.1", "--client-ca-file=/etc/kubernetes/pki/ca.crt", "--kubeconfig=/etc/kubernetes/controller-manager.conf",
	"--leader-elect=true", "--profiling=false", "--root-ca-file=/etc/kubernetes/pki/ca.crt",
	"--service-account-private-key-file=/etc/kubernetes/pki/sa.key", "--use-service-account-credentials=true",
}

// SchedulerFlags are kubeadm's, with profiling off.
var SchedulerFlags = []string{
	"--authentication-kubeconfig=/etc/kubernetes/scheduler.conf", "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
	"--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true", "--profiling=false",
}

// EtcdFlags are kubeadm's.
var EtcdFlags = []string{
	"--advertise-client-urls=https://10.0.0.10:2379", "--cert-file=/etc/kubernetes/pki/etcd/server.crt", "--client-cert-auth=true",
	"--data-dir=/var/lib/etcd", "--key-file=/etc/kubernetes/pki/etcd/server.key",
	"--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.10:2379", "--listen-peer-urls=https://10.0.0.10:2380",
	"--name=cp1", "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt", "--peer-client-cert-auth=true",
	"--peer-key-file=/etc/kubernetes/pki/etcd/peer.key", "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
	"--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt", "--cipher-suites=" + StrongCiphers,
}

// KubeletConfig is kubeadm's KubeletConfiguration with the CIS settings
// kubeadm leaves out.
const KubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: systemd
rotateCertificates: true
serverTLSBootstrap: true
podPidsLimit: 4096
seccompDefault: true
protectKernelDefaults: true
staticPodPath: /etc/kubernetes/manifests
tlsCipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
`

// KubeletUnit and KubeletDropIn are the kubernetes/release package's.
const (
	KubeletUnit  = "[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n[Install]\nWantedBy=multi-user.target\n"
	KubeadmFlags = `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10"` + "\n"
)

// StaticPod renders a kubeadm static pod.
func StaticPod(component string, flags []string) string {
	var b strings.Builder
	tag := "v1.37.2"
	if component == "etcd" {
		tag = "3.6.4-0" // kubeadm v1.37's etcd
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: kube-system\n  labels: {component: %s, tier: control-plane}\nspec:\n  hostNetwork: true\n  containers:\n  - name: %s\n    image: registry.k8s.io/%s:%s\n    command:\n    - %s\n", component, component, component, component, tag, component)
	for _, f := range flags {
		fmt.Fprintf(&b, "    - %q\n", f)
	}
	return b.String()
}

// Empty returns a node without any file under t.TempDir().
func Empty(t testing.TB) *Node { return &Node{Root: t.TempDir(), t: t} }

// Kubeadm writes a hardened kubeadm control-plane node under t.TempDir().
func Kubeadm(t testing.TB, dropIn string) *Node {
	t.Helper()
	n := Empty(t)
	n.Write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\netcd:x:998:998::/var/lib/etcd:/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/sh\n", 0o644)
	n.Write("/etc/group", "root:x:0:\netcd:x:998:\nalice:x:1000:\n", 0o644)
	n.Write("/etc/kubernetes/manifests/kube-apiserver.yaml", StaticPod("kube-apiserver", APIServerFlags), 0o600)
	n.Write("/etc/kubernetes/manifests/kube-controller-manager.yaml", StaticPod("kube-controller-manager", ControllerManagerFlags), 0o600)
	n.Write("/etc/kubernetes/manifests/kube-scheduler.yaml", StaticPod("kube-scheduler", SchedulerFlags), 0o600)
	n.Write("/etc/kubernetes/manifests/etcd.yaml", StaticPod("etcd", EtcdFlags), 0o600)
	n.Write("/etc/kubernetes/enc/enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc: {keys: [{name: k1, secret: c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hIQ==}]}\n  - identity: {}\n", 0o600)
	n.Write("/etc/kubernetes/audit/policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: \"\", resources: [secrets, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n- level: RequestResponse\n", 0o600)
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n"
	for _, f := range []string{"admin.conf", "super-admin.conf", "scheduler.conf", "controller-manager.conf", "kubelet.conf"} {
		n.Write("/etc/kubernetes/"+f, kubeconfig, 0o600)
	}
	for _, f := range []string{"ca", "apiserver", "apiserver-kubelet-client", "apiserver-etcd-client", "front-proxy-ca", "etcd/ca", "etcd/server", "etcd/peer"} {
		n.Write("/etc/kubernetes/pki/"+f+".crt", "-----BEGIN CERTIFICATE-----\n", 0o644)
		n.Write("/etc/kubernetes/pki/"+f+".key", "-----BEGIN PRIVATE KEY-----\n", 0o600)
	}
	n.Write("/etc/kubernetes/pki/sa.key", "-----BEGIN PRIVATE KEY-----\n", 0o600)
	n.Write("/etc/kubernetes/pki/sa.pub", "-----BEGIN PUBLIC KEY-----\n", 0o644)
	n.Write("/var/lib/kubelet/config.yaml", KubeletConfig, 0o600)
	n.Write("/var/lib/kubelet/kubeadm-flags.env", KubeadmFlags, 0o600)
	n.Write("/usr/lib/systemd/system/kubelet.service", KubeletUnit, 0o600)
	n.Write("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", dropIn, 0o600)
	n.Write("/etc/cni/net.d/10-calico.conflist", `{"cniVersion": "0.3.1", "name": "k8s-pod-network", "plugins": []}`, 0o600)
	n.Mkdir("/var/lib/etcd/member", 0o700)
	n.Chmod("/var/lib/etcd", 0o700)
	return n
}

// Path maps a node path into the root.
func (n *Node) Path(p string) string { return filepath.Join(n.Root, filepath.FromSlash(p)) }

// Write creates a file with its parent directories (0755).
func (n *Node) Write(p, data string, mode os.FileMode) {
	n.t.Helper()
	hp := n.Path(p)
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		n.t.Fatal(err)
	}
	if err := os.WriteFile(hp, []byte(data), mode); err != nil {
		n.t.Fatal(err)
	}
	n.Chmod(p, mode) // WriteFile's mode is subject to the umask
}

// Remove deletes a file or a directory with everything under it.
func (n *Node) Remove(p string) {
	n.t.Helper()
	if err := os.RemoveAll(n.Path(p)); err != nil {
		n.t.Fatal(err)
	}
}

// Mkdir creates a directory and its parents.
func (n *Node) Mkdir(p string, mode os.FileMode) {
	n.t.Helper()
	if err := os.MkdirAll(n.Path(p), mode); err != nil {
		n.t.Fatal(err)
	}
	n.Chmod(p, mode)
}

// Chmod sets a mode.
func (n *Node) Chmod(p string, mode os.FileMode) {
	n.t.Helper()
	if err := os.Chmod(n.Path(p), mode); err != nil {
		n.t.Fatal(err)
	}
}

// Chown sets an owner; it needs root, and skips the test otherwise.
func (n *Node) Chown(p string, uid, gid int) {
	n.t.Helper()
	if os.Geteuid() != 0 {
		n.t.Skip("changing a file's owner needs root")
	}
	if err := os.Chown(n.Path(p), uid, gid); err != nil {
		n.t.Fatal(err)
	}
}

// ChownAll gives every file of the node to root:root (a test running as
// root creates them so already; otherwise the ownership checks report them,
// which tests that run unprivileged expect).
func (n *Node) ChownAll(uid, gid int) {
	n.t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	_ = filepath.Walk(n.Root, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			_ = os.Lchown(p, uid, gid)
		}
		return nil
	})
}
