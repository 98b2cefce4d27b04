package rbac

import (
	"fmt"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// aggregate fills the rules of every ClusterRole with an aggregationRule as
// the clusterrole-aggregation controller (pkg/controller/
// clusterroleaggregation, v1.37) does: for each selector in order, the
// ClusterRoles it selects sorted by name (not the role itself), their
// current rules appended unless an equal rule is already there. The
// controller re-syncs every aggregated role whenever any ClusterRole
// changes, so nested aggregation (admin <- edit <- view) settles at a fixed
// point; we iterate to it.
func (m *Model) aggregate() {
	var aggs []*role
	for _, r := range m.clusterRoles {
		if r.agg != nil {
			aggs = append(aggs, r)
		}
	}
	if len(aggs) == 0 {
		return
	}
	sort.Slice(aggs, func(i, j int) bool { return aggs[i].ref.Name < aggs[j].ref.Name })
	all := make([]*role, 0, len(m.clusterRoles))
	for _, r := range m.clusterRoles {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ref.Name < all[j].ref.Name })

	selectors := make([][]labels.Selector, len(aggs))
	broken := make([]bool, len(aggs))
	for i, r := range aggs {
		if len(r.agg.ClusterRoleSelectors) == 0 {
			m.problem(r.ref, "aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is set")
		}
		for j := range r.agg.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&r.agg.ClusterRoleSelectors[j])
			if err != nil {
				// The controller fails the sync and leaves the stored rules.
				m.problem(r.ref, fmt.Sprintf("aggregationRule.clusterRoleSelectors[%d]", j), "invalid label selector (%v); the stored rules are kept", err)
				broken[i] = true
				break
			}
			selectors[i] = append(selectors[i], sel)
		}
	}
	// Each pass can only propagate rules one level deeper, so len(aggs)+1
	// passes reach the fixed point unless aggregation is cyclic.
	for pass := 0; pass <= len(aggs)+1; pass++ {
		changed := false
		for i, r := range aggs {
			if broken[i] {
				continue
			}
			rules, from := aggregatedRules(r, selectors[i], all)
			if !equality.Semantic.DeepEqual(rules, r.rules) {
				r.rules, r.from = rules, from
				changed = true
			} else if r.from == nil {
				r.from = from
			}
		}
		if !changed {
			return
		}
	}
	for i, r := range aggs {
		if !broken[i] {
			m.problem(r.ref, "aggregationRule", "aggregation does not settle (ClusterRoles aggregate each other in a cycle); the rules shown are one state of an oscillation")
			break
		}
	}
}

func aggregatedRules(r *role, sels []labels.Selector, all []*role) ([]rbacv1.PolicyRule, []string) {
	rules := []rbacv1.PolicyRule{}
	var from []string
	for _, sel := range sels {
		for _, src := range all {
			if src == r || !sel.Matches(labels.Set(src.labels)) {
				continue
			}
			for _, rule := range src.rules {
				if !ruleExists(rules, rule) {
					rules = append(rules, rule)
					from = append(from, src.ref.Name)
				}
			}
		}
	}
	return rules, from
}

func ruleExists(haystack []rbacv1.PolicyRule, needle rbacv1.PolicyRule) bool {
	for i := range haystack {
		if equality.Semantic.DeepEqual(haystack[i], needle) {
			return true
		}
	}
	return false
}
