package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/kubetest"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestScanClusterMesh: the service-mesh kinds are custom resources; a
// cluster scan lists them like built-in kinds, checks their bodies, and an
// identity that may not list them gets a coverage gap, not a clean bill.
func TestScanClusterMesh(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	k := newKube(t, c)
	ctx := context.Background()
	for _, y := range []string{`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: peerauthentications.security.istio.io}
spec:
  group: security.istio.io
  scope: Namespaced
  names: {kind: PeerAuthentication, plural: peerauthentications, singular: peerauthentication, listKind: PeerAuthenticationList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`,
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy, labels: {istio-injection: enabled}}",
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}",
		"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: no-mtls, namespace: legacy}\nspec: {mtls: {mode: DISABLE}}",
	} {
		k.mustCreate(ctx, c.Config, obj(t, y))
	}
	checks := "istio-mtls-not-strict,mesh-namespace-without-policy"
	_, r, raw := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--checks", checks, "--fail-on", "none")
	if !r.has("istio-mtls-not-strict", "PeerAuthentication/legacy/no-mtls") || !r.has("mesh-namespace-without-policy", "Namespace//shop") || r.has("mesh-namespace-without-policy", "Namespace//legacy") {
		t.Errorf("admin scan:\n%s", raw)
	}
	if len(r.Coverage) != 0 {
		t.Errorf("the admin reads everything, got gaps %+v", r.Coverage)
	}

	_, err := c.Client().RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "namespace-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Client().RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "mesh-auditor"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "mesh-auditor", APIGroup: "rbac.authorization.k8s.io"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "namespace-reader"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, r, raw = scanJSON(t, "--kubeconfig", c.UserKubeconfig("mesh-auditor"), "--checks", checks, "--fail-on", "none")
	gaps := map[string]string{}
	for _, g := range r.Coverage {
		gaps[g.Check] = g.Reason
	}
	for _, id := range strings.Split(checks, ",") {
		if !strings.Contains(gaps[id], "peerauthentications.security.istio.io") {
			t.Errorf("%s: gap %q, want one naming peerauthentications.security.istio.io\n%s", id, gaps[id], raw)
		}
	}
	if r.has("mesh-namespace-without-policy", "Namespace//shop") {
		t.Error("a namespace was judged without the policies the identity could not read")
	}
}
