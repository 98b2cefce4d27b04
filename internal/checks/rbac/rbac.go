// Package rbac holds the RBAC checks. They share one model
// (internal/rbac, built by internal/rbac/rbacinv) per run, so they see
// aggregation, the bootstrap roles of manifests and every binding.
//
// Calm by design: a rule is reported only where a binding gives it to
// somebody who is not a system component (system:* users and groups other
// than the public ones, service accounts of the system namespaces), and the
// bootstrap roles are judged through the bindings that use them, never on
// their own. The finding sits on the rule when the role is in the scan,
// otherwise on the binding. A role of the input that no binding of the
// input gives out (a chart's ClusterRole bound elsewhere) is reported at
// low severity, saying the grant is not bound here (unbound.go).
package rbac

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

// needs is what the RBAC checks read.
var needs = append([]schema.GroupKind{inventory.KindRole, inventory.KindClusterRole, inventory.KindRoleBinding,
	inventory.KindClusterRoleBinding, inventory.KindServiceAccount, inventory.KindSecret, inventory.KindNamespace}, inventory.WorkloadKinds...)

var references = []check.Reference{
	check.NSA("Authentication and authorization: role-based access control"),
	check.CIS("5.1", "RBAC and Service Accounts"),
}

type modelKey struct{ inv *inventory.Inventory }

func model(ctx *check.Context, inv *inventory.Inventory) *rbacinv.Model {
	return ctx.Memo(modelKey{inv}, func() any { return rbacinv.Build(inv) }).(*rbacinv.Model)
}

type catalogKey struct{}

// catalog tells cluster-scoped resources apart; nil if the embedded data
// cannot be read (then every rule counts as written).
func catalog(ctx *check.Context) *authz.Catalog {
	return ctx.Memo(catalogKey{}, func() any {
		c, err := authz.DefaultCatalog()
		if err != nil {
			return (*authz.Catalog)(nil)
		}
		return c
	}).(*authz.Catalog)
}

// scoped returns the rule as a grant in a namespace can use it: without
// the cluster-scoped resources it lists (nodes, persistentvolumes,
// clusterroles), which a RoleBinding never grants. ok is false when
// nothing is left.
func scoped(cat *authz.Catalog, r *rbacv1.PolicyRule, namespace string) (*rbacv1.PolicyRule, bool) {
	if namespace == "" || cat == nil {
		return r, true
	}
	in, ok := cat.InNamespace(r)
	return &in, ok
}

type graphKey struct{ inv *inventory.Inventory }

func graph(ctx *check.Context, inv *inventory.Inventory) *authz.Graph {
	return ctx.Memo(graphKey{inv}, func() any { return model(ctx, inv).Escalation() }).(*authz.Graph)
}

// publicGroups are system groups that hold everybody (or every service
// account): bindings to them are never "system components".
func publicGroup(name string) bool {
	return name == authz.GroupAuthenticated || name == authz.GroupUnauthenticated || name == authz.GroupServiceAccounts ||
		strings.HasPrefix(name, "system:serviceaccounts:")
}

// exempt reports whether s is a system component expected to hold rights.
func exempt(ctx *check.Context, s authz.Subject) bool {
	switch s.Kind {
	case authz.KindUser:
		return strings.HasPrefix(s.Name, "system:") && s.Name != authz.UserAnonymous
	case authz.KindGroup:
		return strings.HasPrefix(s.Name, "system:") && !publicGroup(s.Name)
	case authz.KindServiceAccount:
		return ctx.Options.IsSystemNamespace(s.Namespace)
	}
	return false
}

// matcher tells whether a rule grants a risky permission, and describes it.
type matcher func(r *rbacv1.PolicyRule) (what string, ok bool)

// grants reports whether the rule allows one of verbs on group/resource,
// whatever resourceNames it lists (names narrow, they do not remove, the
// risk).
func grants(r *rbacv1.PolicyRule, group, resource string, verbs ...string) (string, bool) {
	base, sub, _ := strings.Cut(resource, "/")
	combined := base
	if sub != "" {
		combined += "/" + sub
	}
	if !authz.APIGroupMatches(r, group) || !authz.ResourceMatches(r, combined, sub) {
		return "", false
	}
	for _, v := range verbs {
		if authz.VerbMatches(r, v) {
			what := v + " " + resource
			if len(r.ResourceNames) > 0 {
				what += " (named " + strings.Join(r.ResourceNames, ", ") + ")"
			}
			return what, true
		}
	}
	return "", false
}

// anyOf tries matchers in order.
func anyOf(ms ...matcher) matcher {
	return func(r *rbacv1.PolicyRule) (string, bool) {
		for _, m := range ms {
			if w, ok := m(r); ok {
				return w, true
			}
		}
		return "", false
	}
}

func on(group, resource string, verbs ...string) matcher {
	return func(r *rbacv1.PolicyRule) (string, bool) { return grants(r, group, resource, verbs...) }
}

// holders are the non-exempt subjects of a role's bindings, with the
// bindings that give it to them.
type holders struct {
	bindings []authz.BindingView
	subjects []authz.Subject
	cluster  bool // some binding is a ClusterRoleBinding
}

func holdersOf(ctx *check.Context, rv *authz.RoleView) holders {
	var h holders
	seen := map[authz.Subject]bool{}
	for _, b := range rv.Bindings {
		kept := false
		for _, s := range b.Subjects {
			if exempt(ctx, s) {
				continue
			}
			kept = true
			if !seen[s] {
				seen[s] = true
				h.subjects = append(h.subjects, s)
			}
		}
		if kept {
			h.bindings = append(h.bindings, b)
			h.cluster = h.cluster || b.Namespace == ""
		}
	}
	return h
}

func (h holders) String() string {
	var ss []string
	for i, s := range h.subjects {
		if i == 3 {
			ss = append(ss, fmt.Sprintf("and %d more", len(h.subjects)-3))
			break
		}
		ss = append(ss, s.String())
	}
	scope := "in namespace " + h.bindings[0].Namespace
	if h.cluster {
		scope = "cluster-wide"
	} else if len(h.bindings) > 1 {
		scope = "in its bindings' namespaces"
	}
	return strings.Join(ss, ", ") + " " + scope
}

// aggregatedHolders returns, for each ClusterRole aggregated into others
// (directly or through nested aggregation), the bindings of those others:
// its rules reach their subjects too.
func aggregatedHolders(roles []authz.RoleView) map[string][]authz.BindingView {
	into := map[string][]int{} // source ClusterRole -> indexes of roles that copy its rules
	byName := map[string]int{}
	for i, rv := range roles {
		if rv.Ref.Kind == "ClusterRole" {
			byName[rv.Ref.Name] = i
		}
		seen := map[string]bool{}
		for _, from := range rv.From {
			if from != "" && !seen[from] {
				seen[from] = true
				into[from] = append(into[from], i)
			}
		}
	}
	out := map[string][]authz.BindingView{}
	for src := range into {
		visited := map[int]bool{}
		var walk func(name string)
		walk = func(name string) {
			for _, i := range into[name] {
				if visited[i] {
					continue
				}
				visited[i] = true
				out[src] = append(out[src], roles[i].Bindings...)
				walk(roles[i].Ref.Name)
			}
		}
		walk(src)
	}
	return out
}

// restoredNote explains a rule or subject that the binding or role as
// written lacks: the API server adds it back at its next start.
func restoredNote(restored []bool, i int) string {
	if i < len(restored) && restored[i] {
		return " " + authz.RestoredNote
	}
	return ""
}

// subjectPath points at subject k of a binding view; a subject added back
// by bootstrap reconciliation is not in the file, so at the list.
func subjectPath(b *authz.BindingView, k int) *fieldpath.Path {
	if k < len(b.Restored) && b.Restored[k] {
		return fieldpath.New("subjects")
	}
	return fieldpath.New("subjects").Index(b.SubjectIndex[k])
}

// severities picks the severity by scope. lowerIf, when set, lowers it one
// level for the matches it accepts (secret creation is a weaker form of
// token minting).
type severities struct {
	cluster, namespaced check.Severity
	lowerIf             func(what string) bool
	wildcards           bool // report full-wildcard rules too (rbac-wildcard)
	// named, when set, is the severity of rules limited by resourceNames
	// (otherwise one level below the role's).
	named check.Severity
	// adjust, when set, has the last word on a rule's severity, for checks
	// whose risk depends on where the holders are bound.
	adjust func(ctx *check.Context, inv *inventory.Inventory, h holders, r *rbacv1.PolicyRule, s check.Severity) check.Severity
	// requires, when set, is a second permission without which the
	// matched one grants nothing (approving a CSR takes approve on its
	// signer too, which the API server's CertificateApproval admission
	// plugin checks). A rule is reported only when its role grants it as
	// well, or, for a bound role, a holder holds it cluster-wide.
	requires matcher
}

// completion finds what sev.requires asks of a role's rules, then of its
// holders' permissions; ok is false when nobody has it.
func completion(m *authz.Model, cat *authz.Catalog, rv *authz.RoleView, h holders, requires matcher) (string, bool) {
	for i := range rv.Rules {
		if rule, ok := scoped(cat, &rv.Rules[i], rv.Ref.Namespace); ok {
			if what, ok := requires(rule); ok {
				return what, true
			}
		}
	}
	for _, s := range h.subjects {
		if what, ok := clusterWide(m.Permissions(authz.UserInfoFor(s)), requires); ok {
			return what, true
		}
	}
	return "", false
}

var adminAttrs = authz.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}

func onlyClusterBindings(h holders) bool {
	for _, b := range h.bindings {
		if b.Namespace != "" {
			return false
		}
	}
	return len(h.bindings) > 0
}

// fullWildcard reports a rule with verbs and resources "*": every
// permission check would fire on it, so only rbac-wildcard (and
// rbac-cluster-admin-binding) report it, once.
func fullWildcard(r *rbacv1.PolicyRule) bool {
	return slices.Contains(r.Verbs, rbacv1.VerbAll) && slices.Contains(r.Resources, rbacv1.ResourceAll)
}

// permissionResults reports every rule that match accepts, of every role
// given to a non-exempt subject.
func permissionResults(ctx *check.Context, inv *inventory.Inventory, match matcher, sev severities) []check.Result {
	m := model(ctx, inv)
	cat := catalog(ctx)
	roles := m.Roles()
	viaAgg := aggregatedHolders(roles)
	var out []check.Result
	seen := map[string]bool{}
	emit := func(r check.Result) {
		k := fmt.Sprintf("%p %s %s", r.Object, r.Path, r.Message)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	for i := range roles {
		rv := &roles[i]
		if rv.Ref.Kind == "ClusterRole" {
			rv.Bindings = append(rv.Bindings, viaAgg[rv.Ref.Name]...)
		}
		h := holdersOf(ctx, rv)
		if len(h.subjects) == 0 {
			if len(rv.Bindings) == 0 && !m.Cluster {
				for _, r := range unboundResults(m, cat, roles, rv, match, sev) {
					emit(r)
				}
			}
			continue
		}
		s := sev.namespaced
		if h.cluster {
			s = sev.cluster
		}
		obj := m.Objects[rv.Ref]
		scope := ""
		if !h.cluster {
			scope = h.bindings[0].Namespace // every holder's binding is a RoleBinding
		}
		for ri := range rv.Rules {
			rule, ok := scoped(cat, &rv.Rules[ri], scope)
			if !ok {
				continue
			}
			what, ok := match(rule)
			if !ok {
				continue
			}
			if !sev.wildcards && fullWildcard(&rv.Rules[ri]) {
				continue
			}
			if sev.requires != nil {
				with, ok := completion(m.Model, cat, rv, h, sev.requires)
				if !ok {
					continue
				}
				what += " with " + with
			}
			if sev.wildcards && onlyClusterBindings(h) && authz.RuleAllows(&adminAttrs, &rv.Rules[ri]) {
				continue // cluster-admin through ClusterRoleBindings: rbac-cluster-admin-binding reports it
			}
			s := s
			if len(rv.Rules[ri].ResourceNames) > 0 {
				switch {
				case sev.named != check.SeverityUnknown:
					s = sev.named
				case s > check.Low:
					s-- // named objects only: the usual shape of a controller managing its own
				}
			}
			if sev.lowerIf != nil && sev.lowerIf(what) && s > check.Low {
				s--
			}
			if sev.adjust != nil {
				s = sev.adjust(ctx, inv, h, &rv.Rules[ri], s)
			}
			from := ""
			if ri < len(rv.From) {
				from = rv.From[ri]
			}
			switch {
			case from != "":
				// Reported on the source ClusterRole, which carries the
				// aggregated holders.
				continue
			case obj != nil && !(m.Cluster && authz.IsBootstrap(rv.Ref)):
				path, note := fieldpath.New("rules").Index(ri), restoredNote(rv.Restored, ri)
				if note != "" {
					path = fieldpath.New("rules") // the rule is not in the file
				}
				emit(check.Result{Object: obj, Path: path, Severity: s, Cause: ruleCause(rv, ri), Facet: what,
					Message: fmt.Sprintf("%s grants %s to %s%s", rv.Ref, what, h, note)})
			default:
				for _, b := range h.bindings {
					bo := m.Objects[b.Ref]
					if bo == nil {
						continue
					}
					if r, ok := scoped(cat, &rv.Rules[ri], b.Namespace); !ok {
						continue
					} else if what, ok = match(r); !ok {
						continue
					}
					emit(check.Result{Object: bo, Path: fieldpath.New("roleRef", "name"), Severity: s, Cause: ruleCause(rv, ri), Facet: what,
						Message: fmt.Sprintf("%s grants %s to %s through %s rule %d%s", b.Ref, what, subjectsOf(ctx, b), rv.Ref, ri, restoredNote(rv.Restored, ri))})
				}
			}
		}
	}
	return out
}

// ruleCause makes one finding of each rule, naming every capability it
// grants, whichever permission checks report it (see check.Fold).
func ruleCause(rv *authz.RoleView, ri int) string { return fmt.Sprintf("%s rule %d", rv.Ref, ri) }

func subjectsOf(ctx *check.Context, b authz.BindingView) string {
	var ss []string
	for _, s := range b.Subjects {
		if !exempt(ctx, s) {
			ss = append(ss, s.String())
		}
	}
	sort.Strings(ss)
	scope := "cluster-wide"
	if b.Namespace != "" {
		scope = "in namespace " + b.Namespace
	}
	return strings.Join(ss, ", ") + " " + scope
}

// permissionCheck builds a check from a matcher.
func permissionCheck(meta check.Meta, match matcher, sev severities) *check.Check {
	if meta.Category == "" {
		meta.Category = check.CategoryRBAC
	}
	if meta.Refs == nil {
		meta.Refs = references
	}
	if meta.Severity == check.SeverityUnknown {
		meta.Severity = sev.cluster
	}
	return &check.Check{
		Meta:  meta,
		Needs: needs,
		Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
			return permissionResults(ctx, inv, match, sev)
		},
	}
}

// wildcard matches "*" in verbs, in resources, or in apiGroups together
// with a wildcard-like resource list.
func wildcard(r *rbacv1.PolicyRule) (string, bool) {
	if len(r.NonResourceURLs) > 0 {
		return "", false
	}
	var parts []string
	for _, v := range r.Verbs {
		if v == rbacv1.VerbAll {
			parts = append(parts, `every verb`)
			break
		}
	}
	for _, res := range r.Resources {
		if res == rbacv1.ResourceAll {
			parts = append(parts, `every resource of `+groupsOf(r))
			break
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	return strings.Join(parts, " on ") + " (" + authz.RuleString(r) + ")", true
}

func groupsOf(r *rbacv1.PolicyRule) string {
	for _, g := range r.APIGroups {
		if g == rbacv1.APIGroupAll {
			return "every API group"
		}
	}
	var gs []string
	for _, g := range r.APIGroups {
		if g == "" {
			g = "core"
		}
		gs = append(gs, g)
	}
	return "API group " + strings.Join(gs, ", ")
}
