package rbac

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Wildcard reports roles that grant verbs "*", resources "*" (any group) and apiGroups "*" with any resource.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components, and
// bootstrap roles except through a binding in the scan, and */*/* rules
// given only through ClusterRoleBindings (rbac-cluster-admin-binding).
// Every verb on a list of named custom resources that the input's own
// CustomResourceDefinitions define (an operator managing its own kinds) is
// medium at most: the wildcard reaches only verbs, not resources added
// later. CustomResourceDefinitions are read when the scan holds them (a
// cluster scan lists them for rbac-invalid-reference).
var Wildcard = permissionCheck(check.Meta{
	ID:        "rbac-wildcard",
	Title:     "Role uses wildcard verbs or resources",
	Rationale: "Wildcards grant every verb and resource the cluster serves now and every one added later (CRDs, subresources such as pods/exec).",
	Fix:       "List the verbs, groups and resources the holder needs.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV044"), check.Trivy("KSV045"), check.Trivy("KSV046"), check.KubeLinter("wildcard-in-rules"), check.Polaris("rolebindingClusterAdminClusterRole").Differs("cluster-admin bound in one namespace is reported as a wildcard grant there"), check.Polaris("rolebindingClusterAdminRole")},
},
	wildcardMatch,
	severities{cluster: check.High, namespaced: check.Medium, wildcards: true, adjust: ownResourcesSeverity})

// ownResourcesSeverity caps at medium a rule whose only wildcard is its
// verbs and whose resources are all defined by the input's CRDs.
func ownResourcesSeverity(ctx *check.Context, inv *inventory.Inventory, _ holders, r *rbacv1.PolicyRule, s check.Severity) check.Severity {
	if s <= check.Medium || len(r.Resources) == 0 || slices.Contains(r.APIGroups, rbacv1.APIGroupAll) {
		return s
	}
	own := ownCustomResources(ctx, inv)
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			base, _, _ := strings.Cut(res, "/")
			if !own[g][base] {
				return s
			}
		}
	}
	return check.Medium
}

type ownCRDsKey struct{ inv *inventory.Inventory }

// ownCustomResources are the resources the input's CRDs define, by group;
// a CRD's name is PLURAL.GROUP, which its metadata alone tells.
func ownCustomResources(ctx *check.Context, inv *inventory.Inventory) map[string]map[string]bool {
	return ctx.Memo(ownCRDsKey{inv}, func() any {
		out := map[string]map[string]bool{}
		for _, o := range inv.ByKind(kindCRD) {
			if plural, group, ok := strings.Cut(o.Name, "."); ok {
				if out[group] == nil {
					out[group] = map[string]bool{}
				}
				out[group][plural] = true
			}
		}
		return out
	}).(map[string]map[string]bool)
}

var wildcardMatch matcher = wildcard

func init() { check.Register(Wildcard) }
