package rbac

import (
	"reflect"
	"testing"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// The embedded ClusterRoles were filled by a real kube-controller-manager;
// recomputing their aggregation from labels must give the same rules in the
// same order.
func TestBootstrapAggregationMatchesController(t *testing.T) {
	d, err := bootstrap.Load()
	if err != nil {
		t.Fatal(err)
	}
	in, err := WithBootstrap(Input{})
	if err != nil {
		t.Fatal(err)
	}
	m := Build(in, Options{})
	if ps := m.Problems(); len(ps) != 0 {
		t.Errorf("bootstrap data has problems: %v", ps)
	}
	n := 0
	for _, cr := range d.ClusterRoles {
		if cr.AggregationRule == nil {
			continue
		}
		n++
		if got := m.clusterRoles[cr.Name].rules; !reflect.DeepEqual(got, cr.Rules) {
			t.Errorf("aggregated %s:\n got %v\nwant %v", cr.Name, got, cr.Rules)
		}
	}
	if n < 3 {
		t.Errorf("only %d aggregated ClusterRoles in the bootstrap data", n)
	}
	c, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if ps := m.UnknownNames(c); len(ps) != 0 {
		t.Errorf("bootstrap roles name unknown resources: %v", ps)
	}
	admin := UserInfoFor(Subject{Kind: KindUser, Name: "x"}, "system:masters")
	if !m.Allowed(admin, res("delete", "", "nodes", "")).Allowed {
		t.Error("system:masters denied")
	}
	// Bootstrap bindings resolve: every authenticated user may create
	// SelfSubjectAccessReviews (system:basic-user).
	d2 := m.Allowed(UserInfoFor(Subject{Kind: KindUser, Name: "x"}), res("create", "authorization.k8s.io", "selfsubjectaccessreviews", ""))
	if !d2.Allowed || d2.Grant.Role.Name != "system:basic-user" {
		t.Errorf("system:basic-user: %+v", d2)
	}
}
