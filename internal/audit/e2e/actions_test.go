package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
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

// action is one thing a client does, when it finished, and the alert it
// must raise: the rule, on the object name, with this severity, message
// and details.
type action struct {
	rule, name string
	done       time.Time
	severity   check.Severity
	verb       string
	message    string
	details    map[string]string
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
	mark := func(a action) {
		a.done = time.Now()
		done = append(done, a)
	}

	// The pod carries the secret value in an environment variable: the
	// recommended policy logs pod creations at RequestResponse level, so
	// the value is in the event's bodies and must not reach an alert.
	priv := true
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: privPod}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox:1.36", Command: []string{"sleep", "3600"},
		Env:             []corev1.EnvVar{{Name: "DB_PASSWORD", Value: secretValue}},
		SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mark(action{rule: "privileged-pod", name: privPod, severity: check.High, verb: "create",
		message: "privileged container in pod " + ns + "/" + privPod, details: map[string]string{"containers": "c", "images": "busybox:1.36"}})

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
	mark(action{rule: "pod-exec", name: privPod, severity: check.Critical, verb: "create",
		message: "exec into pod " + ns + "/" + privPod + " (a privileged pod) — authorized; the connection to the container failed",
		details: map[string]string{"command": "cat /etc/shadow", "container": "c", "target": "privileged"}})

	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: backdoorCRB},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "mallory"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mark(action{rule: "cluster-admin-binding", name: backdoorCRB, severity: check.High, verb: "create",
		message: "cluster-admin bound cluster-wide by clusterrolebinding " + backdoorCRB, details: map[string]string{"subjects": "User:mallory"}})

	s, err := cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
	if err != nil || string(s.Data["password"]) != secretValue {
		t.Fatalf("reading the secret: %v", err)
	}
	mark(action{rule: "secret-read", name: secretName, severity: check.Medium, verb: "get", message: "secret " + ns + "/" + secretName + " read"})
	return done
}

// expectAlerts waits for the alert of every action, checks it says what
// happened, who did it and to what, and logs its latency. It also checks
// that the secret value, which the events carried (r.sawSecret), is in no
// alert.
func expectAlerts(t *testing.T, r *rig, done []action) {
	t.Helper()
	for _, a := range done {
		got := r.col.wait(t, a.rule, a.name)
		t.Logf("alert %-22s %-10s severity %-8s after %v", a.rule, a.name, got.Severity, got.at.Sub(a.done).Round(time.Millisecond))
		if got.Severity != a.severity || got.Message != a.message || got.User != kubetest.AdminUser || got.Verb != a.verb ||
			got.Object.Namespace != wantNamespace(a.rule) || got.Count != 1 {
			t.Errorf("%s alert: severity %s, message %q, user %q, verb %q, object %s, count %d; want %s, %q, %q, %q, namespace %q, 1",
				a.rule, got.Severity, got.Message, got.User, got.Verb, got.Object, got.Count,
				a.severity, a.message, kubetest.AdminUser, a.verb, wantNamespace(a.rule))
		}
		for k, v := range a.details {
			if got.Details[k] != v {
				t.Errorf("%s alert: details[%s] = %q, want %q (details %v)", a.rule, k, got.Details[k], v, got.Details)
			}
		}
	}
	if !r.sawSecret.Load() {
		t.Error("no event body carried the pod's secret value: the check below proves nothing")
	}
	mustNotContain(t, "alerts", r.col.all(), secretValue)
}

// wantNamespace is the namespace of an action's object: the test's, except
// for the cluster-scoped binding.
func wantNamespace(rule string) string {
	if rule == "cluster-admin-binding" {
		return ""
	}
	return ns
}
