package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	ns          = "e2e"
	secretValue = "hunter2-e2e-secret-value"
	privPod     = "priv"
	backdoorCRB = "backdoor"
	secretName  = "db"
)

// action is one thing a client does, and when it finished.
type action struct {
	rule, name string
	done       time.Time
}

// setup creates the namespace and its default service account (no
// controller manager runs).
func setup(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName},
		StringData: map[string]string{"password": secretValue}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// attack does the four things the rules must catch, with client-go: create
// a privileged pod, exec into it, bind cluster-admin, read a secret.
func attack(t *testing.T, ctx context.Context, cs kubernetes.Interface) []action {
	t.Helper()
	var done []action
	mark := func(rule, name string) { done = append(done, action{rule, name, time.Now()}) }

	priv := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: privPod}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox:1.36", Command: []string{"sleep", "3600"},
		SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mark("privileged-pod", privPod)

	// The exec request is authorized and audited; it then fails because no
	// node runs the pod (the test cluster has no kubelet). The rule fires
	// on the authorized attempt.
	err := cs.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(privPod).SubResource("exec").
		Param("command", "cat").Param("command", "/etc/shadow").Param("container", "c").Param("stdout", "true").
		Do(ctx).Error()
	if err == nil || apierrors.IsForbidden(err) {
		t.Fatalf("exec: want a failure after authorization, got %v", err)
	}
	t.Logf("exec attempt answered: %v", err)
	mark("pod-exec", privPod)

	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: backdoorCRB},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mark("cluster-admin-binding", backdoorCRB)

	s, err := cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
	if err != nil || string(s.Data["password"]) != secretValue {
		t.Fatalf("reading the secret: %v", err)
	}
	mark("secret-read", secretName)
	return done
}

// expectAlerts waits for the alert of every action and logs its latency.
func expectAlerts(t *testing.T, c *collector, done []action) {
	t.Helper()
	for _, a := range done {
		got := c.wait(t, a.rule, a.name)
		t.Logf("alert %-22s %-10s severity %-8s after %v", a.rule, a.name, got.Severity, got.at.Sub(a.done).Round(time.Millisecond))
	}
	exec := c.wait(t, "pod-exec", privPod)
	if exec.Severity.String() != "critical" || exec.Details["command"] != "cat /etc/shadow" {
		t.Errorf("exec into the privileged pod: severity %s, details %v", exec.Severity, exec.Details)
	}
	mustNotContain(t, "alerts", c.all(), secretValue)
}
