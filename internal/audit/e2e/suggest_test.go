package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/source"
	"github.com/kubeward/kubeward/internal/audit/suggest"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/rbac"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// TestSuggestAgainstAPIServer lets a user with cluster-admin work, derives
// the least-privilege RBAC from the audit log, swaps cluster-admin for it,
// and has the real RBAC authorizer judge: the same work still succeeds,
// anything else is forbidden.
func TestSuggestAgainstAPIServer(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{"--audit-policy-file={{DIR}}/audit/policy.yaml", "--audit-log-path={{DIR}}/auditlog/audit.log"},
		Files:          map[string][]byte{"audit/policy.yaml": recommendedPolicy(t), "auditlog/.keep": nil},
	})
	admin := c.Client()
	ctx := t.Context()
	setup(t, ctx, admin)
	replicas := int32(1)
	labels := map[string]string{"app": "web"}
	if _, err := admin.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "w", Image: "nginx"}}}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "dev-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "dev"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dev := kubernetes.NewForConfigOrDie(c.UserConfig("dev"))
	work := func(suffix string) error {
		// A WebSocket exec is a GET, which Kubernetes 1.35+ also authorizes
		// as create before connecting; the pod does not exist, so a request
		// that passes authorization is answered 404.
		err := dev.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").Name("web-0").SubResource("exec").
			Param("command", "true").Param("stdout", "true").Do(ctx).Error()
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("GET pods/exec: %w", err)
		}
		if _, err := dev.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{}); err != nil {
			return err
		}
		if _, err := dev.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
			return err
		}
		if _, err := dev.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "made-" + suffix}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		if _, err := dev.AppsV1().Deployments(ns).Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
			return err
		}
		_, err = dev.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		return err
	}
	if err := work("1"); err != nil {
		t.Fatal(err)
	}

	col, err := suggest.NewCollector(suggest.Options{Subject: rbac.Subject{Kind: rbac.KindUser, Name: "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := source.Scan([]string{filepath.Join(c.Dir, "auditlog", "audit.log")}, nil, event.NewDecoder(event.Limits{}), col); err != nil {
		t.Fatal(err)
	}
	res := col.Result()
	y, _ := res.YAML()
	t.Logf("suggested:\n%s", y)

	if err := admin.RbacV1().ClusterRoleBindings().Delete(ctx, "dev-admin", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range res.ClusterRoles {
		mustCreate(t, func() error {
			_, err := admin.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}
	for _, o := range res.ClusterRoleBindings {
		mustCreate(t, func() error {
			_, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}
	for _, o := range res.Roles {
		mustCreate(t, func() error {
			_, err := admin.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}
	for _, o := range res.RoleBindings {
		mustCreate(t, func() error {
			_, err := admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			return err
		})
	}

	// The authorizer's caches follow the API within a moment: retry.
	deadline := time.Now().Add(30 * time.Second)
	for err := work("2"); err != nil; err = work("2") {
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			t.Fatalf("the work is not allowed by the suggested RBAC: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for name, try := range map[string]func(context.Context) error{
		"delete the deployment": func(ctx context.Context) error {
			return dev.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{})
		},
		"read another secret": func(ctx context.Context) error {
			_, err := dev.CoreV1().Secrets(ns).Get(ctx, "other", metav1.GetOptions{})
			return err
		},
		"list pods elsewhere": func(ctx context.Context) error {
			_, err := dev.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
			return err
		},
		"exec into another pod": func(ctx context.Context) error {
			return dev.CoreV1().RESTClient().Get().Namespace(ns).Resource("pods").Name("db-0").SubResource("exec").
				Param("command", "true").Param("stdout", "true").Do(ctx).Error()
		},
		"update a configmap": func(ctx context.Context) error {
			_, err := dev.CoreV1().ConfigMaps(ns).Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "made-1"}}, metav1.UpdateOptions{})
			return err
		},
	} {
		if err := try(ctx); !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want forbidden", name, err)
		}
	}
}

func mustCreate(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}
