package rbac

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

// ClusterAdminBinding reports ClusterRoleBindings that make somebody
// other than a system component cluster-admin or equivalent: the bound
// ClusterRole has a rule with verbs, apiGroups and resources "*".
//
// Reads: ClusterRoleBinding roleRef and subjects, the ClusterRole's
// (aggregated) rules. Allows: system components; RoleBindings to
// cluster-admin, which give admin of one namespace only (see rbac-wildcard).
var ClusterAdminBinding = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-cluster-admin-binding",
		Title:    "Subject bound to cluster-admin or an equivalent ClusterRole",
		Severity: check.Critical,
		Category: check.CategoryRBAC,
		Rationale: "A cluster-wide */*/* grant is everything, including every Secret and the power to grant anything; " +
			"a stolen credential of such a subject is the whole cluster.",
		Fix:   "Bind the narrower role the subject needs (admin or edit through RoleBindings in its namespaces); keep cluster-admin for break-glass accounts.",
		Reads: []string{"ClusterRoleBinding roleRef", "ClusterRoleBinding subjects", "ClusterRole rules"},
		Peers: []check.Peer{check.Kubescape("C-0035"), check.Trivy("KSV111"), check.KubeLinter("cluster-admin-role-binding"), check.Polaris("clusterrolebindingClusterAdmin")},
		Refs:  append([]check.Reference{check.CIS("5.1.1", "Ensure that the cluster-admin role is only used where required")}, references...),
	},
	Needs:     needs,
	Inventory: clusterAdminBinding,
}

func init() { check.Register(ClusterAdminBinding) }

func isAdminRole(rv *authz.RoleView) (int, bool) {
	for i := range rv.Rules {
		if authz.RuleAllows(&adminAttrs, &rv.Rules[i]) {
			return i, true
		}
	}
	return 0, false
}

func clusterAdminBinding(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	var out []check.Result
	for _, rv := range m.Roles() {
		if rv.Ref.Kind != "ClusterRole" {
			continue
		}
		ri, ok := isAdminRole(&rv)
		if !ok {
			continue
		}
		for _, b := range rv.Bindings {
			o := m.Objects[b.Ref]
			if b.Namespace != "" || o == nil {
				continue
			}
			for k, s := range b.Subjects {
				if exempt(ctx, s) {
					continue
				}
				out = append(out, check.Result{Object: o, Path: subjectPath(&b, k),
					Message: fmt.Sprintf("%s makes %s cluster-admin equivalent: %s rule %d is %s%s%s", b.Ref, s, rv.Ref, ri,
						authz.RuleString(&rv.Rules[ri]), restoredNote(rv.Restored, ri), restoredNote(b.Restored, k))})
			}
		}
	}
	return out
}
