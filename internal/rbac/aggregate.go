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
	// The controller writes its result with server-side apply; an empty
	// result sends no rules field, so rules written by whoever created the
	// role stay until the controller has once owned them. For manifests
	// (the controller's first sync) that means: an aggregation that selects
	// nothing keeps the rules in the file. Aggregated roles start empty, so
	// a cycle of aggregated roles settles at the least fixed point (stale
	// rules are not passed round the cycle); which fixed point a real
	// controller reaches in a cycle depends on its processing order, so
	// cycles are reported.
	stored := make([][]rbacv1.PolicyRule, len(aggs))
	for i, r := range aggs {
		stored[i] = r.rules
		if !broken[i] {
			r.rules, r.from = nil, nil
		}
	}
	// Each pass propagates rules at least one level deeper, so
	// len(aggs)+1 passes reach the fixed point.
	for pass := 0; pass <= min(len(aggs)+1, maxAggregationPasses); pass++ {
		changed := false
		for i, r := range aggs {
			if broken[i] {
				continue
			}
			rules, from := aggregatedRules(r, selectors[i], all)
			if len(rules) == 0 {
				rules, from = stored[i], nil
			}
			if !equality.Semantic.DeepEqual(rules, r.rules) || pass == 0 {
				if !equality.Semantic.DeepEqual(rules, r.rules) {
					changed = true
				}
				r.rules, r.from = rules, from
			}
		}
		if !changed && pass > 0 {
			break
		}
	}
	m.reportCycles(aggs, selectors, broken, all)
}

// reportCycles reports aggregated ClusterRoles that select themselves
// through other aggregated ClusterRoles.
func (m *Model) reportCycles(aggs []*role, selectors [][]labels.Selector, broken []bool, all []*role) {
	idx := map[*role]int{}
	for i, r := range aggs {
		idx[r] = i
	}
	edges := make([][]int, len(aggs))
	for i, r := range aggs {
		if broken[i] {
			continue
		}
		for _, sel := range selectors[i] {
			for _, src := range all {
				if j, ok := idx[src]; ok && src != r && sel.Matches(labels.Set(src.labels)) {
					edges[i] = append(edges[i], j)
				}
			}
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(aggs))
	var inCycle []bool = make([]bool, len(aggs))
	var stack []int
	var visit func(int)
	visit = func(i int) {
		state[i] = active
		stack = append(stack, i)
		for _, j := range edges[i] {
			switch state[j] {
			case unseen:
				visit(j)
			case active:
				for k := len(stack) - 1; k >= 0; k-- {
					inCycle[stack[k]] = true
					if stack[k] == j {
						break
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range aggs {
		if state[i] == unseen {
			visit(i)
		}
	}
	for i, r := range aggs {
		if inCycle[i] {
			m.problem(r.ref, "aggregationRule", "aggregated ClusterRoles select each other in a cycle; kubeward shows the least fixed point, a real controller may keep stale rules depending on its processing order")
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

// maxAggregationPasses bounds the work hostile input can cause; real
// aggregation is at most a few levels deep.
const maxAggregationPasses = 64
