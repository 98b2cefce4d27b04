package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/kubetest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// report is the part of the JSON report these tests read.
type jsonReport struct {
	Summary struct {
		Objects int `json:"objects"`
	} `json:"summary"`
	Findings []struct {
		Check  string `json:"check"`
		Object struct {
			Kind, Namespace, Name string
		} `json:"object"`
		Source struct {
			File     string `json:"file"`
			Cluster  string `json:"cluster"`
			Template string `json:"template"`
		} `json:"source"`
		Path    string `json:"path"`
		Message string `json:"message"`
	} `json:"findings"`
	Coverage []struct {
		Check, Reason, Status string
	} `json:"coverage"`
	Problems []struct {
		Level, File, Message string
		Line                 int
	} `json:"problems"`
	Gaps []struct {
		ID             string   `json:"id"`
		Reason         string   `json:"reason"`
		NotRun         []string `json:"notRun"`
		Partial        []string `json:"partial"`
		NothingToJudge []string `json:"nothingToJudge"`
		Objects        []string `json:"objects"`
		Grant          *struct {
			APIGroup, Resource string
			Verbs              []string
		} `json:"grant"`
		Accepted *struct{ Reason, Origin string } `json:"accepted"`
	} `json:"gaps"`
}

// has reports whether a finding of check on Kind/namespace/name exists.
func (r jsonReport) has(check, object string) bool {
	for _, f := range r.Findings {
		if f.Check == check && f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name == object {
			return true
		}
	}
	return false
}

func scanJSON(t *testing.T, args ...string) (int, jsonReport, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, append([]string{"scan", "--cluster", "-o", "json=" + file}, args...)...)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, stderr)
	}
	var r jsonReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return code, r, string(data)
}

// expectOnlySubjectGaps fails when a scan as admin has a kind gap: the
// admin reads every kind. What no API shows remains: the control plane,
// kubelets, node files and kube-proxy when absent, and settings in files on
// nodes.
func expectOnlySubjectGaps(t *testing.T, r jsonReport) {
	t.Helper()
	for _, g := range r.Gaps {
		switch {
		case g.Grant != nil, strings.HasPrefix(g.Reason, "forbidden"), strings.HasPrefix(g.Reason, "the server"):
			t.Errorf("the admin reads every kind, got gap %+v", g)
		case len(g.NotRun) != 0:
			t.Errorf("gap %s stops checks: %+v", g.ID, g)
		}
	}
}

const secretValue = "hunter2-Very-Secret-Value-7f3a9c"

// seed creates an insecure application in namespace shop, with a ReplicaSet
// and a Pod owned by its Deployment as the controllers would make them.
func seed(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	check(err)
	// Without kube-controller-manager nobody creates the default account,
	// which pod admission requires.
	_, err = cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	check(err)
	labels := map[string]string{"app": "web"}
	spec := corev1.PodSpec{Containers: []corev1.Container{{
		Name: "web", Image: "nginx:1.27",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
	}}}
	dep, err := cs.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
	}, metav1.CreateOptions{})
	check(err)
	ownedBy := func(kind, name string, uid types.UID) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid, Controller: ptr.To(true)}}
	}
	rs, err := cs.AppsV1().ReplicaSets("shop").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5d4f", Labels: labels, OwnerReferences: ownedBy("Deployment", dep.Name, dep.UID)},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
	}, metav1.CreateOptions{})
	check(err)
	_, err = cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5d4f-x1", Labels: labels, OwnerReferences: ownedBy("ReplicaSet", rs.Name, rs.UID)},
		Spec:       spec,
	}, metav1.CreateOptions{})
	check(err)
	// A bare pod, owned by nothing: checked on its own.
	_, err = cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "debug"},
		Spec:       corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "sh", Image: "busybox:1.36"}}},
	}, metav1.CreateOptions{})
	check(err)
	_, err = cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": secretValue},
	}, metav1.CreateOptions{})
	check(err)
	_, err = cs.CoreV1().Services("shop").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels,
			Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{})
	check(err)
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "web-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: "shop"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
	}, metav1.CreateOptions{})
	check(err)
}

// TestScanCluster scans a real API server holding an insecure application:
// the findings are the same checks as a file scan, reported once per
// workload (not on its ReplicaSet and Pods), and no secret value is read.
func TestScanCluster(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	seed(t, c.Client())

	code, r, raw := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "critical")
	if code != ExitFindings {
		t.Errorf("exit %d, want %d: a privileged container is critical", code, ExitFindings)
	}
	for _, want := range []struct{ check, object string }{
		{"pss-privileged", "Deployment/shop/web"},
		{"pss-host-namespaces", "Pod/shop/debug"},
		{"namespace-pod-security-enforce", "Namespace//shop"},
	} {
		if !r.has(want.check, want.object) {
			t.Errorf("missing %s on %s", want.check, want.object)
		}
	}
	for _, f := range r.Findings {
		if f.Object.Name == "web-5d4f" || f.Object.Name == "web-5d4f-x1" {
			t.Errorf("%s reported on %s/%s, which its Deployment already reports", f.Check, f.Object.Kind, f.Object.Name)
		}
		if f.Source.Cluster != "kubetest" {
			t.Errorf("finding source cluster = %q, want the context name", f.Source.Cluster)
		}
		if f.Check == "secret-committed" || strings.HasPrefix(f.Check, "secret-in-manifest") {
			t.Errorf("a Secret existing in a cluster is not a committed secret: %s", f.Check)
		}
	}
	if strings.Contains(raw, secretValue) || strings.Contains(raw, "aHVudGVyMi") {
		t.Error("the report contains the secret's value")
	}
	expectOnlySubjectGaps(t, r)

	// -n limits namespaced kinds; a label selector limits workloads.
	_, scoped, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "none", "-n", "shop", "-l", "app=web")
	if scoped.has("pss-host-namespaces", "Pod/shop/debug") || !scoped.has("pss-privileged", "Deployment/shop/web") {
		t.Errorf("the selector app=web should keep web and drop debug: %+v", scoped.Findings)
	}
}

// TestScanClusterRestrictedIdentity: an identity that may not list some
// kinds gets a coverage report, not a clean bill, and the gate can fail on it.
func TestScanClusterRestrictedIdentity(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	seed(t, c.Client())
	ctx := context.Background()
	_, err := c.Client().RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "workload-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods", "namespaces", "services", "serviceaccounts", "configmaps"}, Verbs: []string{"list"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Client().RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "auditor"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "auditor", APIGroup: "rbac.authorization.k8s.io"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "workload-reader"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc := c.UserKubeconfig("auditor")

	code, r, _ := scanJSON(t, "--kubeconfig", kc, "--fail-on", "none")
	if code != ExitClean {
		t.Errorf("exit %d without --fail-on-incomplete", code)
	}
	if !r.has("pss-privileged", "Deployment/shop/web") {
		t.Error("what the auditor can read is still checked")
	}
	gaps := map[string]string{}
	status := map[string]string{}
	for _, g := range r.Coverage {
		gaps[g.Check] = g.Reason
		status[g.Check] = g.Status
	}
	if len(gaps) == 0 {
		t.Fatal("no coverage gaps for an identity that cannot list secrets, daemonsets or RBAC")
	}
	// A pod check still ran on the readable kinds, and says what it missed.
	if reason := gaps["pss-privileged"]; status["pss-privileged"] != "partial" || !strings.Contains(reason, "daemonsets.apps") {
		t.Errorf("pss-privileged gap = %s %q", status["pss-privileged"], reason)
	}
	var notRun []string
	for id, st := range status {
		if st == "not-run" {
			notRun = append(notRun, id)
		}
	}
	sort.Strings(notRun)
	if len(notRun) == 0 {
		t.Errorf("cross-object checks that need unreadable kinds must not run; gaps %v", gaps)
	}
	code, _, _ = scanJSON(t, "--kubeconfig", kc, "--fail-on", "none", "--fail-on-incomplete")
	if code != ExitFindings {
		t.Errorf("--fail-on-incomplete: exit %d, want %d", code, ExitFindings)
	}
}

// TestScanClusterConnectionErrors: a wrong address, refused credentials and a
// server that never answers give a clear error within the request timeout.
func TestScanClusterConnectionErrors(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := func(name, server string) string {
		p := filepath.Join(dir, name)
		content := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: " + server + ", insecure-skip-tls-verify: true}\n" +
			"users:\n- name: u\n  user: {token: not-a-valid-token}\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\ncurrent-context: ctx\n"
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := l.Addr().String()
	l.Close()
	// A server that accepts connections and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	cases := []struct {
		name, kubeconfig, want string
	}{
		{"unreachable", kubeconfig("closed", "https://"+closedAddr), "cannot reach the API server"},
		{"timeout", kubeconfig("silent", "https://"+silent.Addr().String()), "no answer within 2s"},
		{"missing kubeconfig", filepath.Join(dir, "nope"), "kubeconfig"},
	}
	if !testing.Short() {
		c := kubetest.Start(t, kubetest.Options{})
		cases = append(cases, struct{ name, kubeconfig, want string }{"bad credentials", kubeconfig("badcreds", c.URL), "credentials were refused"})
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, _, stderr := runCLI(t, "scan", "--cluster", "--kubeconfig", tt.kubeconfig, "--request-timeout", "2s")
			if code != ExitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitError, tt.want)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %s with a 2s request timeout", d)
			}
		})
	}
}
