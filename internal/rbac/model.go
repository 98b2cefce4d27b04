package rbac

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Input is the RBAC state to model. Slices may hold nil entries (ignored).
// ServiceAccounts, Workloads and TokenSecrets are optional and only feed
// the escalation-path analysis.
type Input struct {
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	ServiceAccounts     []*corev1.ServiceAccount
	// Workloads are the pods (or pod templates) and the service account
	// each runs as, so exec into them reaches that account.
	Workloads []Workload
	// TokenSecrets are long-lived service-account token Secrets, so
	// reading them reaches the account.
	TokenSecrets []TokenSecret
	// Namespaces known to exist (besides those named by other objects).
	Namespaces []string
	// Reconciled are input objects the API server's bootstrap
	// reconciliation changes (filled by WithBootstrap); each becomes a
	// Problem, and the rules a role gains are marked restored.
	Reconciled []Reconciled
}

// Workload is one pod or pod template and its service account.
type Workload struct {
	Object         ObjectRef `json:"object"`
	ServiceAccount string    `json:"serviceAccount"`
}

// TokenSecret is a Secret of type kubernetes.io/service-account-token.
type TokenSecret struct {
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	ServiceAccount string `json:"serviceAccount"`
}

// Options tune Build.
type Options struct {
	// StoredAggregation keeps the rules of aggregated ClusterRoles as
	// stored (a live cluster, where the controller already filled them)
	// instead of computing them from the labels of the other ClusterRoles
	// (manifests, where the stored rules are whatever the file says and
	// the controller will overwrite them).
	StoredAggregation bool
}

// Problem is an input the API server would reject or that cannot take
// effect. Problems never stop the model from being built.
type Problem struct {
	Object  ObjectRef `json:"object"`
	Field   string    `json:"field,omitempty"`
	Message string    `json:"message"`
}

func (p Problem) String() string {
	if p.Field != "" {
		return p.Object.String() + ": " + p.Field + ": " + p.Message
	}
	return p.Object.String() + ": " + p.Message
}

type role struct {
	ref      ObjectRef
	rules    []rbacv1.PolicyRule
	from     []string // per rule: the ClusterRole an aggregated rule came from
	restored []bool   // per rule: added back by bootstrap reconciliation
	crbs     []*binding
	rbsByNS  map[string][]*binding
	labels   map[string]string
	agg      *rbacv1.AggregationRule
	rbacRole any // the input object
}

type binding struct {
	ref       ObjectRef
	namespace string // "" for a ClusterRoleBinding
	roleRef   ObjectRef
	role      *role // nil when the role is missing or the kind unsupported
	subjects  []Subject
	valid     []bool // subjects that can match anybody
	restored  []bool // subjects added back by bootstrap reconciliation
}

type entry struct {
	b    *binding
	subj int
}

type nsName struct{ ns, name string }

// Model is an immutable, indexed RBAC state. All methods are safe for
// concurrent use.
type Model struct {
	clusterRoles    map[string]*role
	clusterRoleList []*role
	roles           map[nsName]*role
	rolesByNS       map[string][]*role
	crbs            []*binding
	rbs             map[string][]*binding
	byUser          map[string][]entry // user names, service accounts as their user names
	byGroup         map[string][]entry
	serviceAccounts map[string][]string // namespace -> names (from input)
	namespaces      []string
	workloads       []Workload
	tokenSecrets    []TokenSecret
	problems        []Problem
}

// Build indexes in. It never fails: what cannot take effect becomes a
// Problem.
func Build(in Input, opts Options) *Model {
	m := &Model{
		clusterRoles:    map[string]*role{},
		roles:           map[nsName]*role{},
		rolesByNS:       map[string][]*role{},
		rbs:             map[string][]*binding{},
		byUser:          map[string][]entry{},
		byGroup:         map[string][]entry{},
		serviceAccounts: map[string][]string{},
	}
	nsSeen := map[string]bool{}
	addNS := func(ns string) {
		if ns != "" && !nsSeen[ns] {
			nsSeen[ns] = true
			m.namespaces = append(m.namespaces, ns)
		}
	}
	for _, ns := range in.Namespaces {
		addNS(ns)
	}

	for _, cr := range in.ClusterRoles {
		if cr == nil {
			continue
		}
		ref := ObjectRef{Kind: "ClusterRole", Name: cr.Name}
		if _, dup := m.clusterRoles[cr.Name]; dup {
			m.problem(ref, "", "defined more than once; the last definition is used")
		}
		r := &role{ref: ref, rules: cr.Rules, labels: cr.Labels, agg: cr.AggregationRule, rbacRole: cr, rbsByNS: map[string][]*binding{}}
		m.validateRules(ref, cr.Rules, false)
		m.clusterRoles[cr.Name] = r
	}
	for _, ro := range in.Roles {
		if ro == nil {
			continue
		}
		ref := ObjectRef{Kind: "Role", Namespace: ro.Namespace, Name: ro.Name}
		if ro.Namespace == "" {
			m.problem(ref, "metadata.namespace", "a Role needs a namespace; it is ignored")
			continue
		}
		addNS(ro.Namespace)
		k := nsName{ro.Namespace, ro.Name}
		if _, dup := m.roles[k]; dup {
			m.problem(ref, "", "defined more than once; the last definition is used")
		}
		m.validateRules(ref, ro.Rules, true)
		m.roles[k] = &role{ref: ref, rules: ro.Rules, rbacRole: ro}
	}
	if !opts.StoredAggregation {
		m.aggregate()
	}
	for _, rc := range in.Reconciled {
		m.problem(rc.Object, "", "%s", rc.Message)
		var r *role
		switch rc.Object.Kind {
		case "ClusterRole":
			r = m.clusterRoles[rc.Object.Name]
		case "Role":
			r = m.roles[nsName{rc.Object.Namespace, rc.Object.Name}]
		}
		if r != nil {
			r.restored = restoredRules(rc.Rules, r.rules)
		}
	}
	for _, r := range m.clusterRoles {
		m.clusterRoleList = append(m.clusterRoleList, r)
	}
	sort.Slice(m.clusterRoleList, func(i, j int) bool { return m.clusterRoleList[i].ref.Name < m.clusterRoleList[j].ref.Name })
	for k, r := range m.roles {
		m.rolesByNS[k.ns] = append(m.rolesByNS[k.ns], r)
	}
	for _, rs := range m.rolesByNS {
		sort.Slice(rs, func(i, j int) bool { return rs[i].ref.Name < rs[j].ref.Name })
	}

	// Redefinitions: the last one wins (as a later apply would), and only
	// it is bound, so a role's binding lists hold each binding once.
	lastCRB := map[string]int{}
	for i, crb := range in.ClusterRoleBindings {
		if crb == nil {
			continue
		}
		if _, dup := lastCRB[crb.Name]; dup {
			m.problem(ObjectRef{Kind: "ClusterRoleBinding", Name: crb.Name}, "", "defined more than once; the last definition is used")
		}
		lastCRB[crb.Name] = i
	}
	for i, crb := range in.ClusterRoleBindings {
		if crb == nil || lastCRB[crb.Name] != i {
			continue
		}
		m.crbs = append(m.crbs, m.newBinding(ObjectRef{Kind: "ClusterRoleBinding", Name: crb.Name}, "", crb.RoleRef, crb.Subjects))
	}
	lastRB := map[nsName]int{}
	for i, rb := range in.RoleBindings {
		if rb == nil {
			continue
		}
		ref := ObjectRef{Kind: "RoleBinding", Namespace: rb.Namespace, Name: rb.Name}
		if rb.Namespace == "" {
			m.problem(ref, "metadata.namespace", "a RoleBinding needs a namespace; it is ignored")
			continue
		}
		k := nsName{rb.Namespace, rb.Name}
		if _, dup := lastRB[k]; dup {
			m.problem(ref, "", "defined more than once; the last definition is used")
		}
		lastRB[k] = i
	}
	for i, rb := range in.RoleBindings {
		if rb == nil || rb.Namespace == "" || lastRB[nsName{rb.Namespace, rb.Name}] != i {
			continue
		}
		addNS(rb.Namespace)
		ref := ObjectRef{Kind: "RoleBinding", Namespace: rb.Namespace, Name: rb.Name}
		m.rbs[rb.Namespace] = append(m.rbs[rb.Namespace], m.newBinding(ref, rb.Namespace, rb.RoleRef, rb.Subjects))
	}
	sort.Slice(m.crbs, func(i, j int) bool { return m.crbs[i].ref.Name < m.crbs[j].ref.Name })
	for _, bs := range m.rbs {
		sort.Slice(bs, func(i, j int) bool { return bs[i].ref.Name < bs[j].ref.Name })
	}
	for _, rc := range in.Reconciled {
		if b := m.findBinding(rc.Object); b != nil {
			b.restored = restoredSubjects(rc.Subjects, b.subjects)
		}
	}
	// Index after sorting so every index list is in decision order.
	for _, b := range m.crbs {
		m.index(b)
	}
	for _, ns := range sortedKeys(m.rbs) {
		for _, b := range m.rbs[ns] {
			m.index(b)
		}
	}

	for _, sa := range in.ServiceAccounts {
		if sa == nil || sa.Namespace == "" || sa.Name == "" {
			continue
		}
		addNS(sa.Namespace)
		m.serviceAccounts[sa.Namespace] = append(m.serviceAccounts[sa.Namespace], sa.Name)
	}
	for ns := range m.serviceAccounts {
		sort.Strings(m.serviceAccounts[ns])
	}
	for _, w := range in.Workloads {
		addNS(w.Object.Namespace)
	}
	m.workloads = in.Workloads
	m.tokenSecrets = in.TokenSecrets
	sort.Strings(m.namespaces)
	return m
}

func (m *Model) findBinding(ref ObjectRef) *binding {
	bs := m.crbs
	if ref.Kind == "RoleBinding" {
		bs = m.rbs[ref.Namespace]
	} else if ref.Kind != "ClusterRoleBinding" {
		return nil
	}
	for _, b := range bs {
		if b.ref == ref {
			return b
		}
	}
	return nil
}

func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (m *Model) problem(ref ObjectRef, field, format string, args ...any) {
	m.problems = append(m.problems, Problem{Object: ref, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Problems returns what in the input cannot take effect as written, in
// input order.
func (m *Model) Problems() []Problem { return m.problems }

// newBinding resolves the role and normalises the subjects of a binding.
func (m *Model) newBinding(ref ObjectRef, ns string, rr rbacv1.RoleRef, subjects []rbacv1.Subject) *binding {
	b := &binding{ref: ref, namespace: ns, roleRef: ObjectRef{Kind: rr.Kind, Name: rr.Name}}
	if rr.APIGroup != rbacv1.GroupName {
		m.problem(ref, "roleRef.apiGroup", "must be %q (the API server rejects %q)", rbacv1.GroupName, rr.APIGroup)
	}
	switch rr.Kind {
	case "ClusterRole":
		b.role = m.clusterRoles[rr.Name]
		if b.role == nil {
			m.problem(ref, "roleRef.name", "ClusterRole %q not found; the binding grants nothing until it exists", rr.Name)
		}
	case "Role":
		if ns == "" {
			m.problem(ref, "roleRef.kind", "a ClusterRoleBinding can only refer to a ClusterRole")
			break
		}
		b.roleRef.Namespace = ns
		b.role = m.roles[nsName{ns, rr.Name}]
		if b.role == nil {
			m.problem(ref, "roleRef.name", "Role %q not found in namespace %q; the binding grants nothing until it exists", rr.Name, ns)
		}
	default:
		m.problem(ref, "roleRef.kind", "unsupported role kind %q (want Role or ClusterRole); the binding grants nothing", rr.Kind)
	}
	if b.role != nil {
		if ns == "" {
			b.role.crbs = append(b.role.crbs, b)
		} else {
			if b.role.rbsByNS == nil {
				b.role.rbsByNS = map[string][]*binding{}
			}
			b.role.rbsByNS[ns] = append(b.role.rbsByNS[ns], b)
		}
	}
	for i, s := range subjects {
		field := fmt.Sprintf("subjects[%d]", i)
		sub := Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
		ok := true
		switch s.Kind {
		case KindUser, KindGroup:
			if s.APIGroup != rbacv1.GroupName {
				m.problem(ref, field+".apiGroup", "must be %q for a %s (the API server rejects %q)", rbacv1.GroupName, s.Kind, s.APIGroup)
			}
			sub.Namespace = ""
			// A User named system:serviceaccount:NS:NAME is that service
			// account (upstream compares user names), so it is one subject.
			if san, sa, ok := SplitServiceAccountUsername(s.Name); ok && s.Kind == KindUser {
				sub = Subject{Kind: KindServiceAccount, Namespace: san, Name: sa}
			}
		case KindServiceAccount:
			if s.APIGroup != "" {
				m.problem(ref, field+".apiGroup", "must be empty for a ServiceAccount (the API server rejects %q)", s.APIGroup)
			}
			if sub.Namespace == "" {
				if ns == "" {
					// Upstream appliesToUser: no namespace to default to, so it never matches.
					m.problem(ref, field+".namespace", "a ServiceAccount subject of a ClusterRoleBinding needs a namespace; it matches nobody")
					ok = false
				}
				sub.Namespace = ns
			}
		default:
			m.problem(ref, field+".kind", "unknown subject kind %q (want User, Group or ServiceAccount); it matches nobody", s.Kind)
			ok = false
		}
		if s.Name == "" {
			m.problem(ref, field+".name", "empty subject name; it matches nobody")
			ok = false
		}
		b.subjects = append(b.subjects, sub)
		b.valid = append(b.valid, ok)
	}
	return b
}

func (m *Model) index(b *binding) {
	for i, s := range b.subjects {
		if !b.valid[i] {
			continue
		}
		e := entry{b, i}
		switch s.Kind {
		case KindUser:
			m.byUser[s.Name] = append(m.byUser[s.Name], e)
		case KindGroup:
			m.byGroup[s.Name] = append(m.byGroup[s.Name], e)
		case KindServiceAccount:
			u := ServiceAccountUsername(s.Namespace, s.Name)
			m.byUser[u] = append(m.byUser[u], e)
		}
	}
}

// validateRules reports rules the API server would reject
// (pkg/apis/rbac/validation.ValidatePolicyRule). They stay in the model:
// the authorizer evaluates whatever is stored, and a malformed rule simply
// matches less.
func (m *Model) validateRules(ref ObjectRef, rules []rbacv1.PolicyRule, namespaced bool) {
	for i, r := range rules {
		f := fmt.Sprintf("rules[%d]", i)
		if len(r.Verbs) == 0 {
			m.problem(ref, f+".verbs", "verbs must contain at least one value; the rule matches nothing")
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				m.problem(ref, f+".nonResourceURLs", "a Role cannot grant non-resource URLs; the rule never matches them")
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				m.problem(ref, f+".nonResourceURLs", "a rule cannot apply to both resources and non-resource URLs")
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			m.problem(ref, f+".apiGroups", "resource rules must supply at least one api group; the rule matches nothing")
		}
		if len(r.Resources) == 0 {
			m.problem(ref, f+".resources", "resource rules must supply at least one resource; the rule matches nothing")
		}
	}
}
