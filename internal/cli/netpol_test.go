package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeward/kubeward/internal/kubetest"
)

const netpolFixture = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 9000}]}]
`

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestNetpolCommands(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.yaml")
	conns := filepath.Join(dir, "conns.yaml")
	if err := os.WriteFile(app, []byte(netpolFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conns, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Connectivity\nconnections:\n- from: {namespace: shop, workload: web}\n  to: {namespace: shop, workload: api}\n  ports: [\"9000\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "netpol", "matrix", "-f", app)
	if code != 0 || !strings.Contains(out, "shop/Deployment/web  shop/Deployment/api  TCP:9000") {
		t.Errorf("matrix: exit %d\n%s", code, out)
	}
	for _, o := range []string{"json", "dot", "mermaid"} {
		if code, out, _ := runCLI(t, "netpol", "matrix", "-f", app, "-o", o); code != 0 || !strings.Contains(out, "9000") {
			t.Errorf("matrix -o %s: exit %d\n%s", o, code, out)
		}
	}
	code, out, _ = runCLI(t, "netpol", "explain", "shop/web", "shop/api", "9000", "-f", app)
	if code != 0 || !strings.Contains(out, "ALLOWED") || !strings.Contains(out, "shop/api spec.ingress[0] (from[0], ports[0])") {
		t.Errorf("explain allowed: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "netpol", "explain", "shop/web", "shop/api", "80/UDP", "-f", app)
	if code != ExitFindings || !strings.Contains(out, "DENIED") {
		t.Errorf("explain denied: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "netpol", "explain", "shop/web", "shop/nope", "80", "-f", app); code != ExitError {
		t.Errorf("explain of an unknown workload: exit %d", code)
	}
	code, out, errs := runCLI(t, "netpol", "generate", "--connections", conns, "-f", app)
	if code != 0 || strings.Count(out, "kind: NetworkPolicy") != 4 || !strings.Contains(errs, "exactly the declared connections") {
		t.Errorf("generate: exit %d\n%s\n%s", code, out, errs)
	}
	// Input without a pod in scope holds nothing to judge: an empty matrix
	// or a proof over no workload must not pass.
	policyOnly := filepath.Join(dir, "policy-only.yaml")
	if err := os.WriteFile(policyOnly, []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"matrix", "-f", policyOnly},
		{"matrix", "-f", app, "-n", "elsewhere"},
		{"generate", "--connections", conns, "-f", policyOnly},
	} {
		if code, out, errs := runCLI(t, append([]string{"netpol"}, args...)...); code != ExitError || !strings.Contains(errs, "nothing to judge") {
			t.Errorf("netpol %v: exit %d, want 2 (nothing to judge)\n%s%s", args, code, out, errs)
		}
	}
}

// TestNetpolOnCluster reads a real API server: the ReplicaSet and Pod that
// a Deployment controls are one workload, the policies are read, and an
// identity that cannot list NetworkPolicies is warned, kind by kind.
func TestNetpolOnCluster(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	seed(t, cs)
	ctx := context.Background()
	_, err := cs.NetworkingV1().NetworkPolicies("shop").Create(ctx, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "web-deny"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "netpol", "matrix", "--cluster", "--kubeconfig", c.Kubeconfig)
	if code != 0 || !strings.Contains(out, "\n2 workloads,") || strings.Contains(out, "ReplicaSet") || strings.Contains(out, "web-5d4f-x1") {
		t.Errorf("matrix: exit %d, want the Deployment (its ReplicaSet and Pod folded in) and Pod debug:\n%s%s", code, out, stderr)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "shop/Deployment/web" {
			t.Errorf("web-deny is not applied: %q", line)
		}
	}
	code, out, _ = runCLI(t, "netpol", "explain", "shop/debug", "shop/web", "80", "--cluster", "--kubeconfig", c.Kubeconfig)
	if code != ExitFindings || !strings.Contains(out, "DENIED") || !strings.Contains(out, "shop/web-deny") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}

	_, err = cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "workload-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "namespaces"}, Verbs: []string{"list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"list"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "viewer", APIGroup: rbacv1.GroupName}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "workload-reader"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, stderr = runCLI(t, "netpol", "matrix", "--cluster", "--kubeconfig", c.UserKubeconfig("viewer"))
	if !strings.Contains(stderr, "warning: forbidden to list networkpolicies.networking.k8s.io cluster-wide: the matrix may miss pods or policies\n") {
		t.Errorf("no warning that NetworkPolicies could not be read:\n%s", stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); !sort.StringsAreSorted(lines) {
		t.Errorf("warnings in no stable order:\n%s", stderr)
	}
}

// netpolDump is what the API server returns for pods (a PodList, whose
// items carry no kind): two pods of one Deployment, a bare Pod, a pod of
// another namespace, and a policy whose DNS egress names pods the dump does
// not hold.
const netpolDump = `apiVersion: v1
kind: PodList
items:
- metadata:
    name: web-5d4f8b-a1
    namespace: shop
    labels: {app: web, pod-template-hash: 5d4f8b}
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f8b, uid: u1, controller: true}]
  spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
  status: {podIP: 10.0.0.1}
- metadata:
    name: web-5d4f8b-a2
    namespace: shop
    labels: {app: web, pod-template-hash: 5d4f8b}
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f8b, uid: u1, controller: true}]
  spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
  status: {podIP: 10.0.0.2}
- metadata: {name: debug, namespace: shop, labels: {run: debug}}
  spec: {containers: [{name: c, image: x}]}
  status: {podIP: 10.0.0.9}
- metadata: {name: api, namespace: other, labels: {app: api}}
  spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}]
`

func TestNetpolMatrixOfADump(t *testing.T) {
	dump := writeTestFile(t, t.TempDir(), "dump.yaml", netpolDump)
	code, out, stderr := runCLI(t, "netpol", "matrix", "-f", dump, "-o", "json")
	var doc struct {
		Workloads []struct{ ID, Kind string }
		Allowed   []struct{ From, To string }
		Unmatched []struct {
			Policy struct{ Namespace, Name string }
			Path   string
		} `json:"unmatchedPeers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	var ids []string
	for _, w := range doc.Workloads {
		ids = append(ids, w.ID)
	}
	sort.Strings(ids)
	// One scheme for every workload, and the Deployment's pods are one.
	if want := "other/Pod/api shop/Deployment/web shop/Pod/debug"; strings.Join(ids, " ") != want {
		t.Errorf("workloads %q, want %q", ids, want)
	}
	for _, e := range doc.Allowed {
		if e.From == e.To && strings.Contains(e.From, "/Pod/") {
			t.Errorf("a bare Pod paired with itself: %+v", e)
		}
	}
	if len(doc.Unmatched) != 1 || doc.Unmatched[0].Policy.Name != "web" || doc.Unmatched[0].Path != "spec.egress[0].to[0]" {
		t.Errorf("unmatched peers %+v", doc.Unmatched)
	}
	code, out, _ = runCLI(t, "netpol", "matrix", "-f", dump)
	if code != 0 || !strings.Contains(out, "shop/web spec.egress[0].to[0]: to pods k8s-app=kube-dns of namespaces kubernetes.io/metadata.name=kube-system, which the input does not hold") {
		t.Errorf("table does not say what the DNS rule allows:\n%s", out)
	}

	// -n, -l and -A keep of the files what they keep of a cluster.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "shop"}, "shop/Deployment/web shop/Pod/debug"},
		{[]string{"-n", "shop", "-l", "app=web"}, "shop/Deployment/web"},
		{[]string{"-l", "app"}, "other/Pod/api shop/Deployment/web"},
		{[]string{"-n", "shop", "-A"}, "other/Pod/api shop/Deployment/web shop/Pod/debug"},
	} {
		code, out, stderr := runCLI(t, append([]string{"netpol", "matrix", "-f", dump, "-o", "json"}, tc.args...)...)
		doc.Workloads = nil
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
			t.Fatalf("%q: exit %d, %v\n%s", tc.args, code, err, stderr)
		}
		var got []string
		for _, w := range doc.Workloads {
			got = append(got, w.ID)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: workloads %q, want %q", tc.args, got, tc.want)
		}
	}
	if code, _, stderr := runCLI(t, "netpol", "matrix", "-f", dump, "-l", "a in (b"); code != ExitError || !strings.Contains(stderr, "-l") {
		t.Errorf("a bad selector: exit %d %s", code, stderr)
	}
	// scan judges every object it is given: -n there would be ignored.
	if code, _, stderr := runCLI(t, "scan", dump, "-n", "shop"); code != ExitError || !strings.Contains(stderr, "--namespace selects what --cluster reads") {
		t.Errorf("scan -n on files: exit %d %s", code, stderr)
	}
}
