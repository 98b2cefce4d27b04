package rbac

import (
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
)

func hasString(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// appliesTo mirrors upstream appliesToUser for a normalised subject (a
// ServiceAccount's namespace already defaulted to the RoleBinding's).
func appliesTo(u *UserInfo, s Subject) bool {
	switch s.Kind {
	case KindUser:
		return u.Name == s.Name
	case KindGroup:
		return hasString(u.Groups, s.Name)
	case KindServiceAccount:
		return s.Namespace != "" && u.Name == ServiceAccountUsername(s.Namespace, s.Name)
	}
	return false
}

// firstSubject is the index of the first subject of b that applies to u, as
// upstream reports it, or -1.
func (b *binding) firstSubject(u *UserInfo) int {
	for i, s := range b.subjects {
		if b.valid[i] && appliesTo(u, s) {
			return i
		}
	}
	return -1
}

func privilegedGrant() Grant {
	return Grant{
		Binding: ObjectRef{Kind: PrivilegedGroupKind, Name: GroupMasters},
		Subject: Subject{Kind: KindGroup, Name: GroupMasters},
		Rule: rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"},
			NonResourceURLs: []string{"*"}},
	}
}

// bindingLess orders bindings as decisions report them: ClusterRoleBindings
// first, then RoleBindings, each by namespace and name.
func bindingLess(a, b *binding) bool {
	if (a.namespace == "") != (b.namespace == "") {
		return a.namespace == ""
	}
	if a.namespace != b.namespace {
		return a.namespace < b.namespace
	}
	return a.ref.Name < b.ref.Name
}

// candidates returns the bindings with a subject that may apply to u, each
// once, in decision order. ns restricts RoleBindings to one namespace;
// allNS keeps RoleBindings of every namespace.
func (m *Model) candidates(u *UserInfo, ns string, allNS bool) []*binding {
	var out []*binding
	seen := map[*binding]bool{}
	add := func(es []entry) {
		for _, e := range es {
			if seen[e.b] {
				continue
			}
			if e.b.namespace != "" && !allNS && (ns == "" || e.b.namespace != ns) {
				continue
			}
			seen[e.b] = true
			out = append(out, e.b)
		}
	}
	add(m.byUser[u.Name])
	for _, g := range u.Groups {
		add(m.byGroup[g])
	}
	sort.Slice(out, func(i, j int) bool { return bindingLess(out[i], out[j]) })
	return out
}

func (b *binding) grant(subj, rule int) Grant {
	r := b.role
	g := Grant{Binding: b.ref, SubjectIndex: subj, Subject: b.subjects[subj], Role: r.ref,
		RuleIndex: rule, Rule: r.rules[rule], Namespace: b.namespace}
	if rule < len(r.from) {
		g.From = r.from[rule]
	}
	g.Restored = rule < len(r.restored) && r.restored[rule]
	return g
}

// Allowed answers one access question as the API server does with the
// privileged-group authorizer (system:masters) followed by RBAC.
func (m *Model) Allowed(u UserInfo, a Attributes) Decision {
	if hasString(u.Groups, GroupMasters) {
		g := privilegedGrant()
		return Decision{Allowed: true, Grant: &g}
	}
	for _, b := range m.candidates(&u, a.Namespace, false) {
		if b.role == nil {
			continue
		}
		for i := range b.role.rules {
			if RuleAllows(&a, &b.role.rules[i]) {
				g := b.grant(b.firstSubject(&u), i)
				return Decision{Allowed: true, Grant: &g}
			}
		}
	}
	return Decision{}
}

// Permissions returns every rule granted to u, in any namespace: the
// privileged group first, then ClusterRoleBindings, then RoleBindings by
// namespace, each with the binding and rule.
func (m *Model) Permissions(u UserInfo) []Grant {
	var out []Grant
	if hasString(u.Groups, GroupMasters) {
		out = append(out, privilegedGrant())
	}
	for _, b := range m.candidates(&u, "", true) {
		if b.role == nil {
			continue
		}
		s := b.firstSubject(&u)
		for i := range b.role.rules {
			out = append(out, b.grant(s, i))
		}
	}
	return out
}

// PermissionsIn returns the rules that apply to u's requests in namespace
// ns ("" for cluster-wide requests), like the API server's RulesFor.
func (m *Model) PermissionsIn(u UserInfo, ns string) []Grant {
	var out []Grant
	if hasString(u.Groups, GroupMasters) {
		out = append(out, privilegedGrant())
	}
	for _, b := range m.candidates(&u, ns, false) {
		if b.role == nil {
			continue
		}
		s := b.firstSubject(&u)
		for i := range b.role.rules {
			out = append(out, b.grant(s, i))
		}
	}
	return out
}

// WhoCan returns every subject named in a binding that is allowed the
// request a, each with all grants that allow it, sorted by kind and name.
// The privileged group system:masters is always listed. Group members are
// not expanded: a Group in the answer means every member of it.
func (m *Model) WhoCan(a Attributes) []SubjectGrants {
	bySubject := map[Subject]*SubjectGrants{}
	var order []Subject
	add := func(s Subject, g Grant) {
		sg := bySubject[s]
		if sg == nil {
			sg = &SubjectGrants{Subject: s}
			bySubject[s] = sg
			order = append(order, s)
		}
		sg.Grants = append(sg.Grants, g)
	}
	add(Subject{Kind: KindGroup, Name: GroupMasters}, privilegedGrant())

	var grants []Grant
	visit := func(r *role) {
		var matched []int
		for i := range r.rules {
			if RuleAllows(&a, &r.rules[i]) {
				matched = append(matched, i)
			}
		}
		if len(matched) == 0 {
			return
		}
		bs := r.crbs
		if a.Namespace != "" {
			bs = append(bs[:len(bs):len(bs)], r.rbsByNS[a.Namespace]...)
		}
		for _, b := range bs {
			for si := range b.subjects {
				if !b.valid[si] {
					continue
				}
				for _, ri := range matched {
					grants = append(grants, b.grant(si, ri))
				}
			}
		}
	}
	for _, r := range m.clusterRoleList {
		visit(r)
	}
	if a.Namespace != "" {
		for _, r := range m.rolesByNS[a.Namespace] {
			visit(r)
		}
	}
	sort.SliceStable(grants, func(i, j int) bool { return grantLess(&grants[i], &grants[j]) })
	for _, g := range grants {
		add(g.Subject, g)
	}
	out := make([]SubjectGrants, 0, len(order))
	for _, s := range order {
		out = append(out, *bySubject[s])
	}
	sort.SliceStable(out, func(i, j int) bool { return subjectLess(out[i].Subject, out[j].Subject) })
	return out
}

func grantLess(a, b *Grant) bool {
	if ap, bp := a.Binding.Kind == PrivilegedGroupKind, b.Binding.Kind == PrivilegedGroupKind; ap != bp {
		return ap
	}
	ac, bc := a.Binding.Kind == "ClusterRoleBinding", b.Binding.Kind == "ClusterRoleBinding"
	if ac != bc {
		return ac
	}
	if a.Binding.Namespace != b.Binding.Namespace {
		return a.Binding.Namespace < b.Binding.Namespace
	}
	if a.Binding.Name != b.Binding.Name {
		return a.Binding.Name < b.Binding.Name
	}
	if a.SubjectIndex != b.SubjectIndex {
		return a.SubjectIndex < b.SubjectIndex
	}
	return a.RuleIndex < b.RuleIndex
}

var kindOrder = map[string]int{KindGroup: 0, KindUser: 1, KindServiceAccount: 2}

func subjectLess(a, b Subject) bool {
	if a.Kind != b.Kind {
		return kindOrder[a.Kind] < kindOrder[b.Kind]
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// RoleView is a role with its effective rules and the bindings that use it.
type RoleView struct {
	Ref      ObjectRef
	Rules    []rbacv1.PolicyRule
	From     []string // per rule, the ClusterRole an aggregated rule came from ("" for its own)
	Restored []bool   // per rule, added back by the API server's bootstrap reconciliation
	Bindings []BindingView
}

// BindingView is a binding with its normalised subjects (those that can
// match somebody).
type BindingView struct {
	Ref       ObjectRef
	Namespace string // "" for a ClusterRoleBinding
	Role      ObjectRef
	Subjects  []Subject
	// SubjectIndex[i] is the index of Subjects[i] in the binding.
	SubjectIndex []int
	// Restored[i] marks Subjects[i] as added back by the API server's
	// bootstrap reconciliation: the binding as written lacks it.
	Restored []bool
}

func (b *binding) view() BindingView {
	v := BindingView{Ref: b.ref, Namespace: b.namespace, Role: b.roleRef}
	for i, s := range b.subjects {
		if b.valid[i] {
			v.Subjects = append(v.Subjects, s)
			v.SubjectIndex = append(v.SubjectIndex, i)
			v.Restored = append(v.Restored, i < len(b.restored) && b.restored[i])
		}
	}
	return v
}

// Roles returns every ClusterRole (by name) then every Role (by namespace
// and name), each with the bindings that refer to it.
func (m *Model) Roles() []RoleView {
	var out []RoleView
	add := func(r *role) {
		v := RoleView{Ref: r.ref, Rules: r.rules, From: r.from, Restored: r.restored}
		for _, b := range r.crbs {
			v.Bindings = append(v.Bindings, b.view())
		}
		for _, ns := range sortedKeys(r.rbsByNS) {
			for _, b := range r.rbsByNS[ns] {
				v.Bindings = append(v.Bindings, b.view())
			}
		}
		out = append(out, v)
	}
	for _, r := range m.clusterRoleList {
		add(r)
	}
	for _, ns := range sortedKeys(m.rolesByNS) {
		for _, r := range m.rolesByNS[ns] {
			add(r)
		}
	}
	return out
}

// Bindings returns every binding: ClusterRoleBindings, then RoleBindings
// by namespace, each by name.
func (m *Model) Bindings() []BindingView {
	var out []BindingView
	for _, b := range m.allBindings() {
		out = append(out, b.view())
	}
	return out
}

// Namespaces returns every namespace the model knows of, sorted.
func (m *Model) Namespaces() []string { return m.namespaces }
