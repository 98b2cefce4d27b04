package rbac

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/util/retry"

	"github.com/kubeward/kubeward/internal/kubetest"
)

// TestReconciliationMatchesAPIServer writes redefinitions of bootstrap
// roles and bindings into a real API server, restarts it, and reads them
// back: what its bootstrap reconciliation made of each must be what
// WithBootstrap makes of the same objects as manifests, and the rules of
// the aggregated roles (filled again by kube-controller-manager) must be
// what the model computes.
func TestReconciliationMatchesAPIServer(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	ctx := context.Background()
	cs := c.Client()
	api := cs.RbacV1()

	protected := clusterRole("view", nil, "get|core|pods")
	protected.Annotations = map[string]string{rbacv1.AutoUpdateAnnotationKey: "false"}
	in := Input{
		ClusterRoles: []*rbacv1.ClusterRole{
			clusterRole("cluster-admin", nil, "get|core|pods"),
			clusterRole("edit", nil, "get|core|pods"),
			protected,
			clusterRole("system:basic-user", nil, "get|core|secrets"),
		},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			crb("system:basic-user", "system:basic-user", "User:dave"),
			crb("cluster-admin", "view", "User:dave"),
		},
		Roles: []*rbacv1.Role{nsRole("kube-system", "extension-apiserver-authentication-reader", "get|core|pods")},
		RoleBindings: []*rbacv1.RoleBinding{
			rb("kube-system", "system:controller:token-cleaner", "Role/system:controller:token-cleaner", "User:dave"),
		},
	}
	// kube-controller-manager fills admin, edit and view after Start
	// returns. Wait for it: an apply it computed for view before the update
	// below removes view's aggregationRule, landing after it, would put the
	// aggregated rules back on the protected role (server-side apply with
	// force touches only the rules), and autoupdate=false keeps them through
	// the restart.
	boot, err := WithBootstrap(Input{})
	if err != nil {
		t.Fatal(err)
	}
	waitAggregatedRoles(ctx, t, api, Build(boot, Options{}), "at start")

	// Write them as `kubectl replace` would (a binding's roleRef cannot
	// change: delete and create).
	for _, o := range in.ClusterRoles {
		// The aggregation controller may be writing the same role.
		if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := api.ClusterRoles().Get(ctx, o.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			o := o.DeepCopy()
			o.ResourceVersion = cur.ResourceVersion
			_, err = api.ClusterRoles().Update(ctx, o, metav1.UpdateOptions{})
			return err
		}); err != nil {
			t.Fatalf("update ClusterRole %s: %v", o.Name, err)
		}
	}
	for _, o := range in.ClusterRoleBindings {
		if err := api.ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create ClusterRoleBinding %s: %v", o.Name, err)
		}
	}
	for _, o := range in.Roles {
		cur, err := api.Roles(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		o := o.DeepCopy()
		o.ResourceVersion = cur.ResourceVersion
		if _, err := api.Roles(o.Namespace).Update(ctx, o, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range in.RoleBindings {
		if err := api.RoleBindings(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := api.RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	if err := c.RestartAPIServer(); err != nil {
		t.Fatal(err)
	}

	want, err := WithBootstrap(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Reconciled) < 6 {
		t.Errorf("only %d objects reconciled by kubeward: %+v", len(want.Reconciled), want.Reconciled)
	}
	wantCR := map[string]*rbacv1.ClusterRole{}
	for _, o := range want.ClusterRoles {
		wantCR[o.Name] = o
	}
	for _, o := range in.ClusterRoles {
		got, err := api.ClusterRoles().Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w := wantCR[o.Name]
		if !reflect.DeepEqual(got.AggregationRule, w.AggregationRule) || !reflect.DeepEqual(got.Labels, w.Labels) || !reflect.DeepEqual(got.Annotations, w.Annotations) {
			t.Errorf("ClusterRole %s after restart:\n server   agg %v labels %v annotations %v\n kubeward agg %v labels %v annotations %v",
				o.Name, got.AggregationRule, got.Labels, got.Annotations, w.AggregationRule, w.Labels, w.Annotations)
		}
		if got.AggregationRule == nil && !reflect.DeepEqual(got.Rules, w.Rules) {
			t.Errorf("ClusterRole %s rules after restart:\n server   %v\n kubeward %v", o.Name, got.Rules, w.Rules)
		}
	}
	for _, o := range in.Roles {
		got, err := api.Roles(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want.Roles {
			if w.Namespace == o.Namespace && w.Name == o.Name && (!reflect.DeepEqual(got.Rules, w.Rules) || !reflect.DeepEqual(got.Labels, w.Labels)) {
				t.Errorf("Role %s/%s after restart:\n server   %v %v\n kubeward %v %v", o.Namespace, o.Name, got.Rules, got.Labels, w.Rules, w.Labels)
			}
		}
	}
	for _, o := range in.ClusterRoleBindings {
		got, err := api.ClusterRoleBindings().Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want.ClusterRoleBindings {
			if w.Name == o.Name && (got.RoleRef != w.RoleRef || !reflect.DeepEqual(got.Subjects, w.Subjects)) {
				t.Errorf("ClusterRoleBinding %s after restart:\n server   %v %v\n kubeward %v %v", o.Name, got.RoleRef, got.Subjects, w.RoleRef, w.Subjects)
			}
		}
	}
	for _, o := range in.RoleBindings {
		got, err := api.RoleBindings(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want.RoleBindings {
			if w.Namespace == o.Namespace && w.Name == o.Name && (got.RoleRef != w.RoleRef || !reflect.DeepEqual(got.Subjects, w.Subjects)) {
				t.Errorf("RoleBinding %s/%s after restart:\n server   %v %v\n kubeward %v %v", o.Namespace, o.Name, got.RoleRef, got.Subjects, w.RoleRef, w.Subjects)
			}
		}
	}

	// The aggregated roles, once the controller has filled them again.
	waitAggregatedRoles(ctx, t, api, Build(want, Options{}), "after restart")
}

// waitAggregatedRoles waits until the server's admin, edit and view hold
// the rules m computes for them.
func waitAggregatedRoles(ctx context.Context, t *testing.T, api rbacv1client.RbacV1Interface, m *Model, when string) {
	t.Helper()
	eventually(t, "aggregated roles "+when, func() (string, error) {
		var diff string
		for _, name := range []string{"admin", "edit", "view"} {
			got, err := api.ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return "", err
			}
			if w := m.clusterRoles[name].rules; !sameRuleSet(got.Rules, w) {
				diff += fmt.Sprintf("\n%s: server %d rules %v\n   kubeward %d rules %v", name, len(got.Rules), ruleStrings(got.Rules), len(w), ruleStrings(w))
			}
		}
		return diff, nil
	})
}

func ruleStrings(rs []rbacv1.PolicyRule) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = RuleString(&rs[i])
	}
	sort.Strings(out)
	return out
}
