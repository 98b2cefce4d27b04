package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/checks/controlplane"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"
)

// The control-plane checks against a real kube-apiserver (and
// kube-controller-manager and etcd) started with deliberately weak flags,
// then hardened. There is no kubelet in the harness, so the test creates the
// mirror Pods a kubelet would create for kubeadm's static pods, carrying the
// exact command lines the harness started the components with: a cluster
// scan reads those Pod objects, as it does on a kubeadm cluster. The API
// server accepting the weak flags is part of what is tested.

// mirrorPod creates the mirror Pod of a static pod running binary with args.
func mirrorPod(t *testing.T, cs kubernetes.Interface, component, image string, args []string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: component + "-cp1", Namespace: "kube-system",
			Labels:      map[string]string{"component": component, "tier": "control-plane"},
			Annotations: map[string]string{"kubernetes.io/config.mirror": "0123456789abcdef", "kubernetes.io/config.source": "file"},
		},
		Spec: corev1.PodSpec{
			NodeName: "cp1", HostNetwork: true,
			Containers: []corev1.Container{{Name: component, Image: image, Command: append([]string{component}, args...)}},
		},
	}
	if _, err := cs.CoreV1().Pods("kube-system").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("mirror pod %s: %v", component, err)
	}
}

// node creates a Node whose kubelet reports version.
func node(t *testing.T, cs kubernetes.Interface, name, version string) {
	t.Helper()
	ctx := context.Background()
	n, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.NodeInfo.KubeletVersion = version
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// clusterFindings scans the cluster with the control-plane and node checks
// and returns "check Kind/namespace/name" lines, and the report.
func clusterFindings(t *testing.T, kubeconfig string) ([]string, jsonReport, string) {
	t.Helper()
	code, r, raw := scanJSON(t, "--kubeconfig", kubeconfig, "--fail-on", "none", "--checks", "category:control-plane,category:node")
	if code != ExitClean {
		t.Fatalf("scan: exit %d", code)
	}
	expectOnlySubjectGaps(t, r)
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Check+" "+f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name)
	}
	sort.Strings(out)
	return out, r, raw
}

// gapReason is the reason of the gap with this id, "" without one.
func gapReason(r jsonReport, id string) string {
	for _, g := range r.Gaps {
		if g.ID == id {
			return g.Reason
		}
	}
	return ""
}

func expectFindings(t *testing.T, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestControlPlaneWeakCluster(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{
			"--anonymous-auth=true", // switched off by the API server itself: AlwaysAllow below
			"--authorization-mode=AlwaysAllow",
			"--profiling=true",
			"--token-auth-file={{DIR}}/tokens.csv",
			"--service-account-lookup=false",
			"--enable-admission-plugins=AlwaysAdmit", // replaces NodeRestriction
			"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA",
			"--tls-min-version=VersionTLS10",
			"--kubelet-client-certificate=", "--kubelet-client-key=",
		},
		Files: map[string][]byte{"tokens.csv": []byte("kubeward-test-token-not-a-secret,bob,1001\n")},
		// The harness's own controller manager must keep working: weaken
		// what does not stop it.
		ControllerManager: true,
		ControllerManagerFlags: []string{
			"--profiling=true", "--use-service-account-credentials=false", "--bind-address=0.0.0.0",
			"--terminated-pod-gc-threshold=0", "--feature-gates=RotateKubeletServerCertificate=false",
		},
	})
	cs := c.Client()
	mirrorPod(t, cs, "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.2", c.APIServerArgs())
	mirrorPod(t, cs, "kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.30.14", c.ControllerManagerArgs())
	mirrorPod(t, cs, "etcd", "registry.k8s.io/etcd:3.7.3-0", c.EtcdArgs())
	node(t, cs, "cp1", "v1.37.2")
	node(t, cs, "newer", "v1.38.0")
	node(t, cs, "four-older", "v1.33.5")

	// The weak flags are in force: anonymous requests are refused although
	// --anonymous-auth=true (AlwaysAllow turns it off), and bob's static
	// token works.
	resp, err := c.AnonymousHTTPClient().Get(c.URL + "/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("anonymous /version: %d, want 401", resp.StatusCode)
	}

	got, r, raw := clusterFindings(t, c.Kubeconfig)
	// The scheduler is the one component without a mirror Pod: its checks
	// had nothing to judge, and the report says which.
	if reason := gapReason(r, "control-plane"); !strings.HasPrefix(reason, "no Pod or Deployment runs kube-scheduler ") {
		t.Errorf("control-plane gap %q", reason)
	}
	api, kcm, etcd := "Pod/kube-system/kube-apiserver-cp1", "Pod/kube-system/kube-controller-manager-cp1", "Pod/kube-system/etcd-cp1"
	expectFindings(t, got, []string{
		"apiserver-authorization-always-allow " + api,
		"apiserver-profiling " + api,
		"apiserver-token-auth-file " + api,
		"apiserver-service-account-lookup " + api,
		"apiserver-admission-always-admit " + api,
		"apiserver-admission-node-restriction " + api,
		"apiserver-admission-always-pull-images " + api,
		"apiserver-admission-deny-service-external-ips " + api,
		"apiserver-admission-event-rate-limit " + api,
		"apiserver-tls-cipher-suites " + api,
		"apiserver-tls-min-version " + api,
		"apiserver-kubelet-client-cert " + api,
		"apiserver-kubelet-certificate-authority " + api,
		"apiserver-audit-log " + api,
		"apiserver-audit-policy-file " + api,
		"apiserver-encryption-provider-config " + api,
		"encryption-providers " + api,
		"apiserver-etcd-tls " + api,
		"apiserver-service-account-extend-token-expiration " + api,
		"controller-manager-profiling " + kcm,
		"controller-manager-service-account-credentials " + kcm,
		"controller-manager-bind-address " + kcm,
		"controller-manager-terminated-pod-gc-threshold " + kcm,
		"controller-manager-rotate-kubelet-server-certificate " + kcm,
		"kubernetes-version-unsupported " + kcm,
		"etcd-client-tls " + etcd,
		"etcd-client-cert-auth " + etcd,
		"etcd-peer-tls " + etcd,
		"etcd-peer-client-cert-auth " + etcd,
		"kubelet-version-skew Node//newer",
		"kubelet-version-skew Node//four-older",
	})
	if strings.Contains(raw, "kubeward-test-token-not-a-secret") {
		t.Error("the report contains the token file's contents")
	}
}

func TestControlPlaneHardenedCluster(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{
			"--kubelet-certificate-authority={{DIR}}/pki/ca.crt",
			"--audit-log-path={{DIR}}/logs/audit.log",
			"--audit-policy-file={{DIR}}/audit-policy.yaml",
			"--encryption-provider-config={{DIR}}/encryption.yaml",
			"--service-account-extend-token-expiration=false",
			"--enable-admission-plugins=NodeRestriction,AlwaysPullImages,DenyServiceExternalIPs,EventRateLimit",
			"--admission-control-config-file={{DIR}}/admission.yaml",
			"--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		},
		Files: map[string][]byte{
			"audit-policy.yaml": []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: \"\", resources: [secrets, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]\n- level: RequestResponse\n"),
			"encryption.yaml":   []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox: {keys: [{name: k1, secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}]}\n  - identity: {}\n"),
			"admission.yaml":    []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - {type: Server, qps: 5000, burst: 20000}\n"),
		},
		ControllerManager: true,
		EtcdTLS:           true,
	})
	cs := c.Client()
	mirrorPod(t, cs, "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.37.2", c.APIServerArgs())
	mirrorPod(t, cs, "kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.37.2", c.ControllerManagerArgs())
	node(t, cs, "cp1", "v1.37.2")
	node(t, cs, "worker", "v1.36.4")

	// The encryption configuration is in force: etcd holds the Secret
	// encrypted by secretbox.
	ctx := context.Background()
	if _, err := cs.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"},
		StringData: map[string]string{"k": "plain-text-marker"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if stored := etcdValue(t, c.EtcdHTTPClient(), c.EtcdURL, "/registry/secrets/default/s"); !strings.HasPrefix(stored, "k8s:enc:secretbox:v1:k1:") || strings.Contains(stored, "plain-text-marker") {
		t.Errorf("etcd holds %.40q, want secretbox ciphertext", stored)
	}

	got, _, _ := clusterFindings(t, c.Kubeconfig)
	var extra []string
	for _, g := range got {
		// The release table dates maintained minors; skew is judged
		// against the API server image's v1.37.2.
		if strings.HasPrefix(g, "kubernetes-version-unsupported ") && !maintained("v1.37.2") {
			continue
		}
		extra = append(extra, g)
	}
	if len(extra) != 0 {
		t.Errorf("a hardened control plane: findings %q, want none", got)
	}
	// The silence is the checks' verdict, not a scan that saw nothing: a
	// scheduler left at its defaults (profiling on) is reported at once.
	mirrorPod(t, cs, "kube-scheduler", "registry.k8s.io/kube-scheduler:v1.37.2", []string{"--kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1"})
	got, _, _ = clusterFindings(t, c.Kubeconfig)
	if !slices.Contains(got, "scheduler-profiling Pod/kube-system/kube-scheduler-cp1") {
		t.Errorf("a default scheduler next to the hardened control plane: findings %q, want scheduler-profiling", got)
	}
}

// maintained reports whether a version is maintained today by the release
// table (1.37 until 2027-10-28).
func maintained(v string) bool {
	ok, _ := controlplane.Releases.Support(version.MustParseGeneric(v), time.Now())
	return ok
}

// etcdValue reads a key through etcd's v3 JSON gateway.
func etcdValue(t *testing.T, hc *http.Client, etcdURL, key string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))})
	resp, err := hc.Post(etcdURL+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Kvs []struct {
			Value string `json:"value"`
		} `json:"kvs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Kvs) != 1 {
		t.Fatalf("etcd range %s: %v %+v", key, err, r)
	}
	v, err := base64.StdEncoding.DecodeString(r.Kvs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}
