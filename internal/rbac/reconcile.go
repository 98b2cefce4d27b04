package rbac

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
)

// Reconciled is an object of the input that the API server changes at its
// next start because it has the name of one of its bootstrap objects: the
// bootstrap-roles post-start hook (pkg/registry/rbac/rest) reconciles every
// bootstrap ClusterRole, ClusterRoleBinding, Role and RoleBinding with
// k8s.io/component-helpers/auth/rbac/reconciliation, adding what is
// missing and keeping what is extra, unless the stored object is annotated
// rbac.authorization.kubernetes.io/autoupdate: "false".
type Reconciled struct {
	Object ObjectRef `json:"object"`
	// Rules are the role's rules as written (nil for bindings): rules the
	// model holds beyond them were restored.
	Rules []rbacv1.PolicyRule `json:"-"`
	// Subjects are a binding's subjects as written: subjects the model
	// holds beyond them were restored.
	Subjects []rbacv1.Subject `json:"-"`
	Message  string           `json:"message"`
}

// errDryRun: reconciliation runs with Confirm false, so it never writes.
var errDryRun = errors.New("dry run: reconciliation is computed, never written")

// ownerGetter hands the reconciler the object as the input holds it.
type ownerGetter struct{ existing reconciliation.RuleOwner }

func (g ownerGetter) Get(string, string) (reconciliation.RuleOwner, error) { return g.existing, nil }
func (ownerGetter) Create(reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	return nil, errDryRun
}
func (ownerGetter) Update(reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	return nil, errDryRun
}

type bindingGetter struct{ existing reconciliation.RoleBinding }

func (g bindingGetter) Get(string, string) (reconciliation.RoleBinding, error) {
	return g.existing, nil
}
func (bindingGetter) Delete(string, string, types.UID) error { return errDryRun }
func (bindingGetter) Create(reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	return nil, errDryRun
}
func (bindingGetter) Update(reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	return nil, errDryRun
}

// expectedRules are a bootstrap role's rules as the API server's bootstrap
// policy defines them: the dump holds aggregated roles with the rules the
// aggregation controller filled in, but the policy gives them none (the
// reconciler would otherwise add the aggregated rules as their own).
func expectedRules(rules []rbacv1.PolicyRule, agg *rbacv1.AggregationRule) []rbacv1.PolicyRule {
	if agg != nil {
		return nil
	}
	return rules
}

// describe sets the message of a reconciled object from what the
// reconciler changes, and reports whether the API server changes it
// (false when nothing changes or the object is protected).
func (rc *Reconciled) describe(kind string, what []string, protected bool) bool {
	if len(what) == 0 {
		return false
	}
	if protected {
		rc.Message = "has the name of a bootstrap " + kind + ` but is annotated rbac.authorization.kubernetes.io/autoupdate: "false", ` +
			"so the API server keeps it as written (without the annotation it " + strings.Join(what, "; ") + ")"
		return false
	}
	rc.Message = "has the name of a bootstrap " + kind + ": at its next start the API server " + strings.Join(what, "; ") +
		` (reconciliation adds what is missing and keeps what is extra; annotate rbac.authorization.kubernetes.io/autoupdate: "false" to keep it as written)`
	return true
}

// reconcileRole runs the upstream reconciler on an input role against the
// bootstrap role of the same name. It returns the role as it is after the
// API server's next start and, when that differs, why.
func reconcileRole(expected, existing reconciliation.RuleOwner, rc *Reconciled) (reconciliation.RuleOwner, error) {
	res, err := (&reconciliation.ReconcileRoleOptions{Role: expected, Client: ownerGetter{existing}}).Run()
	if err != nil {
		return nil, fmt.Errorf("reconciling %s: %w", rc.Object, err)
	}
	var what []string
	if n := len(res.MissingRules); n > 0 {
		what = append(what, fmt.Sprintf("adds back %d rule(s) of the bootstrap role (%s)", n, rulesSummary(res.MissingRules)))
	}
	if expected.GetAggregationRule() == nil && existing.GetAggregationRule() != nil {
		what = append(what, "removes its aggregationRule")
	} else if n := len(res.MissingAggregationRuleSelectors); n > 0 {
		what = append(what, fmt.Sprintf("adds back %d aggregationRule selector(s), so the aggregation controller fills its rules", n))
	}
	if added := addedKeys(existing.GetLabels(), res.Role.GetLabels()); len(added) > 0 {
		what = append(what, "adds back label(s) "+strings.Join(added, ", "))
	}
	if !rc.describe("role", what, res.Protected) {
		return existing, nil
	}
	return res.Role, nil
}

// reconcileBinding is reconcileRole for bindings: missing subjects are
// added, extra ones kept; a binding to another role is deleted and the
// bootstrap binding created in its place.
func reconcileBinding(expected, existing reconciliation.RoleBinding, rc *Reconciled) (reconciliation.RoleBinding, error) {
	res, err := (&reconciliation.ReconcileRoleBindingOptions{RoleBinding: expected, Client: bindingGetter{existing}}).Run()
	if err != nil {
		return nil, fmt.Errorf("reconciling %s: %w", rc.Object, err)
	}
	var what []string
	switch {
	case res.Operation == reconciliation.ReconcileRecreate:
		rr := expected.GetRoleRef()
		what = append(what, fmt.Sprintf("replaces it with the bootstrap binding (roleRef %s %s, subjects %s), because a binding's roleRef cannot change",
			rr.Kind, rr.Name, subjectsSummary(expected.GetSubjects())))
	case len(res.MissingSubjects) > 0:
		what = append(what, "adds back subject(s) "+subjectsSummary(res.MissingSubjects))
	}
	if !rc.describe("binding", what, res.Protected) {
		return existing, nil
	}
	return res.RoleBinding, nil
}

// addedKeys lists the labels reconciliation adds. The marker every
// bootstrap object carries (kubernetes.io/bootstrapping) changes no
// permission and is left out; others can (aggregate-to-* labels).
func addedKeys(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if _, ok := before[k]; !ok && k != "kubernetes.io/bootstrapping" {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// rulesSummary names up to three rules compactly.
func rulesSummary(rules []rbacv1.PolicyRule) string {
	var parts []string
	for i := range rules {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(rules)-3))
			break
		}
		parts = append(parts, RuleString(&rules[i]))
	}
	return strings.Join(parts, ", ")
}

func subjectsSummary(ss []rbacv1.Subject) string {
	var parts []string
	for _, s := range ss {
		if s.Kind == KindServiceAccount {
			parts = append(parts, s.Kind+" "+s.Namespace+"/"+s.Name)
		} else {
			parts = append(parts, s.Kind+" "+s.Name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// restoredRules marks the rules of a reconciled role that it did not have
// as written.
func restoredRules(written, effective []rbacv1.PolicyRule) []bool {
	out := make([]bool, len(effective))
	for i := range effective {
		out[i] = !ruleExists(written, effective[i])
	}
	return out
}

// restoredSubjects marks the subjects of a reconciled binding that it did
// not have as written.
func restoredSubjects(written []rbacv1.Subject, effective []Subject) []bool {
	out := make([]bool, len(effective))
	for i, s := range effective {
		out[i] = true
		for _, w := range written {
			if w.Kind == s.Kind && w.Name == s.Name && (w.Namespace == s.Namespace || w.Namespace == "") {
				out[i] = false
				break
			}
		}
	}
	return out
}
