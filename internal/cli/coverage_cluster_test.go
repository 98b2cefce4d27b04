package cli

// Coverage on a real API server, seen by three identities: one bound to
// the built-in view ClusterRole (what people give a scanner), one bound to
// kubeward's own scanning ClusterRole (deploy/scanner-role.yaml), and the
// admin of a cluster without static control-plane Pods (any managed
// cluster).

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/kubetest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// coverageCluster starts a cluster (with the controller manager, which
// fills the aggregated view ClusterRole) holding an application, a Secret
// and RBAC objects, and no control-plane Pods.
func coverageCluster(t *testing.T) *kubetest.Cluster {
	t.Helper()
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	cs := c.Client()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}))
	labels := map[string]string{"app": "web"}
	must(cs.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "web", Image: "nginx:1.27", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}},
	}, metav1.CreateOptions{}))
	must(cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		StringData: map[string]string{"password": secretValue}}, metav1.CreateOptions{}))
	must(cs.RbacV1().Roles("shop").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "everything"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{}))
	must(cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "everything"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "everything"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: "shop"}}}, metav1.CreateOptions{}))
	return c
}

// bindUser binds a ClusterRole to a user cluster-wide and returns the
// user's kubeconfig.
func bindUser(t *testing.T, c *kubetest.Cluster, user, role string) string {
	t.Helper()
	if _, err := c.Client().RbacV1().ClusterRoleBindings().Create(context.Background(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: user, APIGroup: "rbac.authorization.k8s.io"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c.UserKubeconfig(user)
}

// waitForView waits until the controller manager has aggregated the view
// ClusterRole's rules.
func waitForView(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := cs.RbacV1().ClusterRoles().Get(context.Background(), "view", metav1.GetOptions{})
		if err == nil && len(r.Rules) > 5 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the view ClusterRole was never aggregated")
}

func TestCoverageLive(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := coverageCluster(t)
	cs := c.Client()
	waitForView(t, cs)

	t.Run("view", func(t *testing.T) {
		kc := bindUser(t, c, "viewer", "view")
		code, r, raw := scanJSON(t, "--kubeconfig", kc, "--fail-on", "none")
		if code != ExitClean || !r.has("pss-privileged", "Deployment/shop/web") {
			t.Fatalf("exit %d; what view can read must still be judged: %+v", code, r.Findings)
		}
		if strings.Contains(raw, secretValue) {
			t.Error("the report holds the Secret's value")
		}
		var ids []string
		for _, g := range r.Gaps {
			ids = append(ids, g.ID)
		}
		// Secrets and RBAC first; PodTemplates, which view cannot list and
		// few clusters hold, after everything that matters.
		want := "secrets,clusterrolebindings.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io," +
			"clusterroles.rbac.authorization.k8s.io,roles.rbac.authorization.k8s.io"
		if got := strings.Join(ids, ","); !strings.HasPrefix(got, want+",") || ids[len(ids)-1] != "podtemplates" {
			t.Errorf("gaps in order %s; want %s first and podtemplates last", got, want)
		}
		for _, g := range r.Gaps {
			kind := !strings.Contains("control-plane kubelet kube-proxy node-files", g.ID)
			if kind && (g.Grant == nil || len(g.Grant.Verbs) != 1 || g.Grant.Verbs[0] != "list") {
				t.Errorf("gap %s names no grant: %+v", g.ID, g)
			}
		}
		// The table's coverage fits on a screen.
		code, out, _ := runCLI(t, "scan", "--cluster", "--kubeconfig", kc, "--fail-on", "none")
		section := out[strings.Index(out, "Coverage:"):]
		t.Logf("view-only scan, exit %d:\n%s", code, section)
		// The section ends at its blank line; the summary by check follows.
		section, _, _ = strings.Cut(section, "\n\n")
		if n := strings.Count(section, "\n"); n > 50 {
			t.Errorf("the coverage section is %d lines", n)
		}
		if dump := os.Getenv("KUBEWARD_COVERAGE_DUMP"); dump != "" {
			os.WriteFile(dump, []byte(out), 0o644)
		}
		// The known gap accepted with a reason is folded, and stops gating.
		_, out, _ = runCLI(t, "scan", "--cluster", "--kubeconfig", kc, "--fail-on", "none", "--ignore-gap", "podtemplates=we create no PodTemplates")
		if !strings.Contains(out, "Accepted coverage gaps (1)\n  podtemplates (") {
			t.Errorf("accepted gap not folded:\n%s", out)
		}
	})

	t.Run("scanner role", func(t *testing.T) {
		data, err := os.ReadFile(repoRoot(t) + "/deploy/scanner-role.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var role rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict(data, &role); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.RbacV1().ClusterRoles().Create(context.Background(), &role, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		kc := bindUser(t, c, "scanner", role.Name)
		code, r, raw := scanJSON(t, "--kubeconfig", kc, "--fail-on", "none")
		if code != ExitClean || !r.has("pss-privileged", "Deployment/shop/web") || !r.has("rbac-wildcard", "Role/shop/everything") {
			t.Errorf("exit %d, findings %+v", code, r.Findings)
		}
		expectOnlySubjectGaps(t, r)
		if strings.Contains(raw, secretValue) {
			t.Error("the report holds the Secret's value")
		}
	})

	t.Run("admin without static pods", func(t *testing.T) {
		code, r, _ := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--fail-on", "none", "--fail-on-incomplete")
		if code != ExitFindings {
			t.Errorf("--fail-on-incomplete with the control plane out of sight: exit %d, want %d", code, ExitFindings)
		}
		expectOnlySubjectGaps(t, r)
		reason := gapReason(r, "control-plane")
		for _, want := range []string{"control plane not visible from the API", "managed cluster", "kubeward node", "etcd, kube-apiserver, kube-controller-manager, kube-scheduler"} {
			if !strings.Contains(reason, want) {
				t.Errorf("control-plane gap %q lacks %q", reason, want)
			}
		}
		_, out, _ := runCLI(t, "scan", "--cluster", "--kubeconfig", c.Kubeconfig, "--fail-on", "none")
		if !strings.Contains(out, "checks had nothing to judge") {
			t.Errorf("the summary does not count checks with nothing to judge:\n%s", out)
		}
	})
}
