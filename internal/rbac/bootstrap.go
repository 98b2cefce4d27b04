package rbac

import (
	"fmt"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/component-helpers/auth/rbac/reconciliation"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// WithBootstrap returns in plus the RBAC objects every API server of
// bootstrap.Version creates for itself (cluster-admin, admin, edit, view,
// system:*), so bindings to them resolve when scanning manifests. An object
// of in with the kind, namespace and name of a bootstrap object replaces
// it as written, then is reconciled as the API server does at its next
// start (see Reconciled): the input object with missing rules, subjects,
// labels and aggregation selectors added back, unless it is annotated
// rbac.authorization.kubernetes.io/autoupdate: "false".
func WithBootstrap(in Input) (Input, error) {
	d, err := bootstrap.Load()
	if err != nil {
		return in, err
	}
	out := in
	out.Reconciled = append([]Reconciled(nil), in.Reconciled...)
	crs, err := reconcileAll(&out, in.ClusterRoles, d.ClusterRoles, clusterRoleKey, func(boot, o *rbacv1.ClusterRole) (*rbacv1.ClusterRole, Reconciled, error) {
		exp := boot.DeepCopy()
		exp.Rules = expectedRules(exp.Rules, exp.AggregationRule)
		rc := Reconciled{Object: ObjectRef{Kind: "ClusterRole", Name: o.Name}, Rules: o.Rules}
		got, err := reconcileRole(reconciliation.ClusterRoleRuleOwner{ClusterRole: exp}, reconciliation.ClusterRoleRuleOwner{ClusterRole: o.DeepCopy()}, &rc)
		if err != nil {
			return nil, rc, err
		}
		return got.(reconciliation.ClusterRoleRuleOwner).ClusterRole, rc, nil
	})
	if err != nil {
		return in, err
	}
	roles, err := reconcileAll(&out, in.Roles, d.Roles, roleKey, func(boot, o *rbacv1.Role) (*rbacv1.Role, Reconciled, error) {
		rc := Reconciled{Object: ObjectRef{Kind: "Role", Namespace: o.Namespace, Name: o.Name}, Rules: o.Rules}
		got, err := reconcileRole(reconciliation.RoleRuleOwner{Role: boot.DeepCopy()}, reconciliation.RoleRuleOwner{Role: o.DeepCopy()}, &rc)
		if err != nil {
			return nil, rc, err
		}
		return got.(reconciliation.RoleRuleOwner).Role, rc, nil
	})
	if err != nil {
		return in, err
	}
	crbs, err := reconcileAll(&out, in.ClusterRoleBindings, d.ClusterRoleBindings, clusterRoleBindingKey, func(boot, o *rbacv1.ClusterRoleBinding) (*rbacv1.ClusterRoleBinding, Reconciled, error) {
		rc := Reconciled{Object: ObjectRef{Kind: "ClusterRoleBinding", Name: o.Name}, Subjects: o.Subjects}
		got, err := reconcileBinding(reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: boot.DeepCopy()}, reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: o.DeepCopy()}, &rc)
		if err != nil {
			return nil, rc, err
		}
		return got.(reconciliation.ClusterRoleBindingAdapter).ClusterRoleBinding, rc, nil
	})
	if err != nil {
		return in, err
	}
	rbs, err := reconcileAll(&out, in.RoleBindings, d.RoleBindings, roleBindingKey, func(boot, o *rbacv1.RoleBinding) (*rbacv1.RoleBinding, Reconciled, error) {
		rc := Reconciled{Object: ObjectRef{Kind: "RoleBinding", Namespace: o.Namespace, Name: o.Name}, Subjects: o.Subjects}
		got, err := reconcileBinding(reconciliation.RoleBindingAdapter{RoleBinding: boot.DeepCopy()}, reconciliation.RoleBindingAdapter{RoleBinding: o.DeepCopy()}, &rc)
		if err != nil {
			return nil, rc, err
		}
		return got.(reconciliation.RoleBindingAdapter).RoleBinding, rc, nil
	})
	if err != nil {
		return in, err
	}

	out.ClusterRoles = merge(d.ClusterRoles, crs, clusterRoleKey)
	out.ClusterRoleBindings = merge(d.ClusterRoleBindings, crbs, clusterRoleBindingKey)
	out.Roles = merge(d.Roles, roles, roleKey)
	out.RoleBindings = merge(d.RoleBindings, rbs, roleBindingKey)
	out.Namespaces = append(append([]string(nil), in.Namespaces...), "default", "kube-system", "kube-public", "kube-node-lease")
	return out, nil
}

func clusterRoleKey(o *rbacv1.ClusterRole) nsName               { return nsName{"", o.Name} }
func roleKey(o *rbacv1.Role) nsName                             { return nsName{o.Namespace, o.Name} }
func clusterRoleBindingKey(o *rbacv1.ClusterRoleBinding) nsName { return nsName{"", o.Name} }
func roleBindingKey(o *rbacv1.RoleBinding) nsName               { return nsName{o.Namespace, o.Name} }

// reconcileAll returns in with each object that has the key of a bootstrap
// object replaced by what reconcile makes of it (given the bootstrap
// object, which it must not change), recording in out what changed.
func reconcileAll[T any](out *Input, in []*T, boot []T, key func(*T) nsName, reconcile func(boot, o *T) (*T, Reconciled, error)) ([]*T, error) {
	byKey := make(map[nsName]*T, len(boot))
	for i := range boot {
		byKey[key(&boot[i])] = &boot[i]
	}
	res := make([]*T, len(in))
	for i, o := range in {
		res[i] = o
		if o == nil || byKey[key(o)] == nil {
			continue
		}
		got, rc, err := reconcile(byKey[key(o)], o)
		if err != nil {
			return nil, err
		}
		res[i] = got
		if rc.Message != "" {
			out.Reconciled = append(out.Reconciled, rc)
		}
	}
	return res, nil
}

// merge returns the bootstrap objects that in does not redefine, then in.
func merge[T any](boot []T, in []*T, key func(*T) nsName) []*T {
	mine := map[nsName]bool{}
	for _, o := range in {
		if o != nil {
			mine[key(o)] = true
		}
	}
	out := make([]*T, 0, len(boot)+len(in))
	for i := range boot {
		if !mine[key(&boot[i])] {
			out = append(out, &boot[i])
		}
	}
	return append(out, in...)
}

// IsBootstrap reports whether a ClusterRole, ClusterRoleBinding, Role or
// RoleBinding with this kind, namespace and name is one the API server
// creates itself.
func IsBootstrap(ref ObjectRef) bool {
	idx := bootIndex()
	return idx != nil && idx.objects[ref]
}

// IsBuiltIn reports whether a subject is one of Kubernetes' own
// components: a subject of a bootstrap binding (the controllers' service
// accounts in kube-system, system:kube-controller-manager, system:masters,
// ...) or a system: user or group other than the public groups and
// system:anonymous.
func IsBuiltIn(s Subject) bool {
	if s.Kind != KindServiceAccount && strings.HasPrefix(s.Name, "system:") && s.Name != UserAnonymous &&
		s.Name != GroupAuthenticated && s.Name != GroupUnauthenticated && !strings.HasPrefix(s.Name, GroupServiceAccounts) {
		return true
	}
	idx := bootIndex()
	return idx != nil && idx.subjects[s]
}

// bootIndexed names the bootstrap objects and the subjects of the
// bootstrap bindings.
type bootIndexed struct {
	objects  map[ObjectRef]bool
	subjects map[Subject]bool
}

// bootIndex is built once from the embedded data, never changed after;
// nil when that data does not decode (bootstrap.Load reports it).
var bootIndex = sync.OnceValue(func() *bootIndexed {
	d, err := bootstrap.Load()
	if err != nil {
		return nil
	}
	idx := &bootIndexed{objects: map[ObjectRef]bool{}, subjects: map[Subject]bool{}}
	addSubjects := func(ns string, ss []rbacv1.Subject) {
		for _, s := range ss {
			sub := Subject{Kind: s.Kind, Name: s.Name}
			if s.Kind == KindServiceAccount {
				sub.Namespace = s.Namespace
				if sub.Namespace == "" {
					sub.Namespace = ns
				}
			}
			idx.subjects[sub] = true
		}
	}
	for _, o := range d.ClusterRoles {
		idx.objects[ObjectRef{Kind: "ClusterRole", Name: o.Name}] = true
	}
	for _, o := range d.ClusterRoleBindings {
		idx.objects[ObjectRef{Kind: "ClusterRoleBinding", Name: o.Name}] = true
		addSubjects("", o.Subjects)
	}
	for _, o := range d.Roles {
		idx.objects[ObjectRef{Kind: "Role", Namespace: o.Namespace, Name: o.Name}] = true
	}
	for _, o := range d.RoleBindings {
		idx.objects[ObjectRef{Kind: "RoleBinding", Namespace: o.Namespace, Name: o.Name}] = true
		addSubjects(o.Namespace, o.Subjects)
	}
	return idx
})

// Catalog is the set of API groups and resources (with subresources) that a
// cluster serves, to report rules naming ones that do not exist.
type Catalog struct {
	groups map[string]map[string]bool
	served map[string]bool // groups whose resources come from discovery
	// clusterScoped are the served resources without a namespace, by
	// group and resource (not subresource).
	clusterScoped map[[2]string]bool
	// served resources (not subresources) as discovery lists them, the
	// names kubectl accepts for them (see Resolve).
	resources []bootstrap.Resource
	// source names where the served resources come from, for notes.
	source string
}

// DefaultCatalog is the catalog of a bootstrap.Version API server.
func DefaultCatalog() (*Catalog, error) {
	d, err := bootstrap.Load()
	if err != nil {
		return nil, err
	}
	c := &Catalog{groups: map[string]map[string]bool{}, served: map[string]bool{}, clusterScoped: map[[2]string]bool{},
		source: "Kubernetes " + bootstrap.Version}
	for _, r := range d.Resources {
		c.AddServed(r)
	}
	// Names only the authorizer knows, always asked without a namespace:
	// impersonation of users, groups, UIDs and extras, and CSR signers.
	for _, gr := range [][2]string{{"", "users"}, {"", "groups"}, {"authentication.k8s.io", "uids"},
		{"authentication.k8s.io", "userextras"}, {"certificates.k8s.io", "signers"}} {
		c.clusterScoped[gr] = true
	}
	// Names that are authorized but not served: the bootstrap roles use
	// them (signers, */finalizers, the kubelet's nodes/stats, legacy
	// extensions, aggregated metrics APIs), so they are real to RBAC.
	for _, cr := range d.ClusterRoles {
		c.addRules(cr.Rules)
	}
	for _, r := range d.Roles {
		c.addRules(r.Rules)
	}
	return c, nil
}

func (c *Catalog) addRules(rules []rbacv1.PolicyRule) {
	for _, r := range rules {
		for _, g := range r.APIGroups {
			if g == "*" {
				continue
			}
			if c.groups[g] == nil {
				c.groups[g] = map[string]bool{}
			}
			for _, res := range r.Resources {
				if res != "*" {
					c.Add(g, res)
				}
			}
		}
	}
}

// AddServed records a resource or subresource that discovery lists
// ("pods", "pods/exec"): served, with the names kubectl accepts for it, and
// whether it is cluster-scoped.
func (c *Catalog) AddServed(r bootstrap.Resource) {
	c.Add(r.Group, r.Name)
	c.served[r.Group] = true
	if !strings.Contains(r.Name, "/") {
		c.resources = append(c.resources, r)
	}
	// A request naming a namespace object carries that namespace (the
	// API server's RequestInfo), so RoleBindings apply to it.
	if base, _, _ := strings.Cut(r.Name, "/"); !r.Namespaced && base != "namespaces" {
		c.clusterScoped[[2]string{r.Group, base}] = true
	}
}

// ServedBy names where the served resources come from ("the cluster");
// the default catalog's are Kubernetes bootstrap.Version's.
func (c *Catalog) ServedBy(source string) { c.source = source }

// Add records a served resource ("widgets" or "widgets/status") of group.
func (c *Catalog) Add(group, resource string) {
	if c.groups == nil {
		c.groups = map[string]map[string]bool{}
	}
	if c.groups[group] == nil {
		c.groups[group] = map[string]bool{}
	}
	c.groups[group][resource] = true
}

// ClusterScoped reports whether group serves resource ("nodes",
// "nodes/proxy") without a namespace; false for namespaced and unknown
// resources. Namespaces count as namespaced: a request for namespace X is
// a request in namespace X.
func (c *Catalog) ClusterScoped(group, resource string) bool {
	base, _, _ := strings.Cut(resource, "/")
	return c.clusterScoped[[2]string{group, base}]
}

// InNamespace returns the part of a rule that a RoleBinding can give: the
// rule without the resources that are cluster-scoped in each of its API
// groups (a Role listing nodes grants nothing on nodes), and whether any
// resource is left. Wildcards and unknown resources are kept.
func (c *Catalog) InNamespace(r *rbacv1.PolicyRule) (rbacv1.PolicyRule, bool) {
	if len(r.NonResourceURLs) > 0 && len(r.Resources) == 0 {
		return rbacv1.PolicyRule{}, false // non-resource URLs are cluster-wide requests
	}
	var groups []string
	for _, g := range r.APIGroups {
		if g == rbacv1.APIGroupAll {
			groups = sortedKeys(c.served)
			break
		}
		groups = append(groups, g)
	}
	out := *r
	out.NonResourceURLs = nil
	out.Resources = nil
	for _, res := range r.Resources {
		if res == rbacv1.ResourceAll || strings.HasPrefix(res, "*/") || !c.clusterScopedInAll(groups, res) {
			out.Resources = append(out.Resources, res)
		}
	}
	return out, len(out.Resources) > 0
}

func (c *Catalog) clusterScopedInAll(groups []string, resource string) bool {
	known := false
	for _, g := range groups {
		if c.ClusterScoped(g, resource) {
			known = true
			continue
		}
		if c.HasResource(g, resource) {
			return false // served namespaced in this group
		}
	}
	return known
}

// HasGroup reports whether the group is served.
func (c *Catalog) HasGroup(g string) bool { return c.groups[g] != nil }

// HasResource reports whether group serves resource (a plain resource or
// "resource/subresource"; "*/sub" when any resource has that subresource).
func (c *Catalog) HasResource(group, resource string) bool {
	rs := c.groups[group]
	if rs == nil {
		return false
	}
	if rs[resource] {
		return true
	}
	// ownerReferences.blockOwnerDeletion is authorized as update on
	// RESOURCE/finalizers for every resource; impersonation of extra
	// fields as userextras/KEY.
	base, sub, hasSub := strings.Cut(resource, "/")
	if hasSub && (sub == "finalizers" || sub == "restricted") && rs[base] {
		return true
	}
	if hasSub && base == "userextras" && group == "authentication.k8s.io" {
		return true
	}
	if len(resource) > 2 && resource[:2] == "*/" {
		sub := resource[1:]
		for r := range rs {
			if len(r) > len(sub) && r[len(r)-len(sub):] == sub {
				return true
			}
		}
	}
	return false
}

// removed are resources Kubernetes no longer serves that old manifests
// still name; a rule naming them grants nothing and harms nothing, so they
// are not reported.
var removed = map[string]bool{"podsecuritypolicies": true}

// UnknownNames returns problems for rules that name API groups or
// resources that are probably typos: a group that is not served but is
// close to a served one ("app", "rbac.authorization.k8s.i0"), or a resource
// that a built-in group does not serve ("deployment", "pods/*"). Groups
// that are merely unknown are not reported: they are usually CRDs that are
// not part of the scan.
func (m *Model) UnknownNames(c *Catalog) []Problem {
	var out []Problem
	check := func(ref ObjectRef, rules []rbacv1.PolicyRule) {
		for i, r := range rules {
			builtin, wildcard := false, false
			for _, g := range r.APIGroups {
				switch {
				case g == "*":
					wildcard = true
				case c.served[g]:
					builtin = true
				case !c.HasGroup(g):
					if near := Nearest(g, sortedKeys(c.served)); near != "" {
						out = append(out, Problem{Object: ref, Field: fmt.Sprintf("rules[%d].apiGroups", i),
							Message: fmt.Sprintf("API group %q is not served by Kubernetes %s; did you mean %q?", g, bootstrap.Version, near)})
					}
				}
			}
			for _, res := range r.Resources {
				if base, ok := strings.CutSuffix(res, "/*"); ok && base != "*" {
					out = append(out, Problem{Object: ref, Field: fmt.Sprintf("rules[%d].resources", i),
						Message: fmt.Sprintf("%q matches only a subresource literally named \"*\", not every subresource of %s; list them (%s/exec, %s/log, ...) or use */SUBRESOURCE", res, base, base, base)})
					continue
				}
				if wildcard || !builtin || res == "*" || removed[res] || hasAnyGroup(r.APIGroups, res, c) {
					continue
				}
				msg := fmt.Sprintf("resource %q is not served in API group(s) %s", res, strings.Join(quoteEmpty(r.APIGroups), ","))
				var names []string
				for _, g := range r.APIGroups {
					names = append(names, sortedKeys(c.groups[g])...)
				}
				if near := Nearest(res, names); near != "" {
					msg += fmt.Sprintf("; did you mean %q?", near)
				}
				out = append(out, Problem{Object: ref, Field: fmt.Sprintf("rules[%d].resources", i), Message: msg})
			}
		}
	}
	for _, r := range m.clusterRoleList {
		if r.agg == nil {
			check(r.ref, r.rules)
		}
	}
	for _, ns := range sortedKeys(m.rolesByNS) {
		for _, r := range m.rolesByNS[ns] {
			check(r.ref, r.rules)
		}
	}
	return out
}

// Nearest returns the candidate within edit distance 2 of s (the closest,
// then the first), or "": the likely intended name of a misspelt one.
func Nearest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or max when it is at
// least max (so long unrelated names cost little).
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}

// hasAnyGroup: a rule lists groups and resources as a cross product, so a
// resource is only unknown when no listed group serves it.
func hasAnyGroup(groups []string, res string, c *Catalog) bool {
	for _, g := range groups {
		if c.HasResource(g, res) {
			return true
		}
	}
	return false
}

// UnservedGroups returns the API groups that rules name but that neither
// Kubernetes serves nor the catalog knows from CRDs, sorted, each with the
// roles naming it. These are usually CRDs installed separately; the rules
// take effect only where they are.
func (m *Model) UnservedGroups(c *Catalog) map[string][]ObjectRef {
	out := map[string][]ObjectRef{}
	for _, rv := range m.Roles() {
		seen := map[string]bool{}
		for _, r := range rv.Rules {
			for _, g := range r.APIGroups {
				if g != "*" && !c.HasGroup(g) && !seen[g] {
					seen[g] = true
					out[g] = append(out[g], rv.Ref)
				}
			}
		}
	}
	return out
}
