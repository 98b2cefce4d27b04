package rbac

import (
	"fmt"
	"sort"
	"strings"
)

// Escalation paths: a graph whose nodes are identities (users, groups,
// service accounts) and whose edges are "holding these permissions, X can
// act as Y", each edge naming the grants it uses. An identity is
// cluster-admin equivalent when it is in system:masters or holds verbs,
// apiGroups and resources "*" cluster-wide; a path ends there.

// AdminTarget is the pseudo-subject that ends an escalation path.
var AdminTarget = Subject{Kind: "ClusterAdmin", Name: "cluster-admin equivalent"}

// Step is one edge of a path.
type Step struct {
	From   Subject `json:"from"`
	Action string  `json:"action"`
	To     Subject `json:"to"`
	Grants []Grant `json:"grants"`
}

func (s Step) String() string {
	var ev []string
	for _, g := range s.Grants {
		ev = append(ev, g.String())
	}
	return fmt.Sprintf("%s %s -> %s [%s]", s.From, s.Action, s.To, strings.Join(ev, "; "))
}

// Path is a chain of steps from a subject to cluster-admin equivalence.
type Path struct {
	Subject Subject `json:"subject"`
	Steps   []Step  `json:"steps"`
}

// Graph is the escalation graph of a model, built once.
type Graph struct {
	m     *Model
	nodes []Subject
	out   map[Subject][]Step
	next  map[Subject]*Step // shortest-path successor towards AdminTarget
}

var adminAttrs = Attributes{Verb: "*", APIGroup: "*", Resource: "*"}

// workload controllers whose create or update runs a pod as any service
// account of the namespace.
var podRunners = []struct{ group, resource string }{
	{"", "pods"}, {"apps", "deployments"}, {"apps", "daemonsets"}, {"apps", "statefulsets"}, {"apps", "replicasets"},
	{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

// Escalation builds the escalation graph: its nodes are every subject of a
// binding, every known service account (the namespace's "default" included)
// and every service account a workload runs as.
func (m *Model) Escalation() *Graph {
	g := &Graph{m: m, out: map[Subject][]Step{}, next: map[Subject]*Step{}}
	seen := map[Subject]bool{}
	add := func(s Subject) {
		if !seen[s] {
			seen[s] = true
			g.nodes = append(g.nodes, s)
		}
	}
	for _, b := range m.allBindings() {
		for i, s := range b.subjects {
			if b.valid[i] {
				add(s)
			}
		}
	}
	for _, ns := range m.namespaces {
		add(Subject{Kind: KindServiceAccount, Namespace: ns, Name: "default"})
		for _, sa := range m.serviceAccounts[ns] {
			add(Subject{Kind: KindServiceAccount, Namespace: ns, Name: sa})
		}
	}
	for _, w := range m.workloads {
		add(Subject{Kind: KindServiceAccount, Namespace: w.Object.Namespace, Name: w.ServiceAccount})
	}
	sort.Slice(g.nodes, func(i, j int) bool { return subjectLess(g.nodes[i], g.nodes[j]) })
	for _, n := range g.nodes {
		g.out[n] = g.edges(n)
	}
	g.shortest()
	return g
}

func (m *Model) allBindings() []*binding {
	out := append([]*binding(nil), m.crbs...)
	for _, ns := range sortedKeys(m.rbs) {
		out = append(out, m.rbs[ns]...)
	}
	return out
}

// saNamesIn is every service account name known in ns.
func (g *Graph) saNamesIn(ns string) []string {
	var out []string
	for _, n := range g.nodes {
		if n.Kind == KindServiceAccount && n.Namespace == ns {
			out = append(out, n.Name)
		}
	}
	return out
}

// namespacesOf is "" (cluster-wide grants, valid in every namespace) plus
// every namespace where u has a RoleBinding.
func (m *Model) namespacesOf(u *UserInfo) []string {
	set := map[string]bool{}
	for _, b := range m.candidates(u, "", true) {
		if b.namespace != "" {
			set[b.namespace] = true
		}
	}
	return append([]string{""}, sortedKeys(set)...)
}

func (g *Graph) edges(from Subject) []Step {
	m := g.m
	u := UserInfoFor(from)
	if from.Kind == KindGroup {
		u = UserInfo{Groups: []string{from.Name}}
	}
	var out []Step
	step := func(action string, to Subject, ds ...Decision) {
		s := Step{From: from, Action: action, To: to}
		for _, d := range ds {
			s.Grants = append(s.Grants, *d.Grant)
		}
		out = append(out, s)
	}
	allow := func(a Attributes) (Decision, bool) {
		d := m.Allowed(u, a)
		return d, d.Allowed
	}
	// could is a cheap filter before loops over many targets: whether any
	// granted rule matches the request ignoring names and namespaces.
	perms := m.Permissions(u)
	could := func(a Attributes) bool {
		combined := a.Resource
		if a.Subresource != "" {
			combined += "/" + a.Subresource
		}
		for i := range perms {
			r := &perms[i].Rule
			if VerbMatches(r, a.Verb) && APIGroupMatches(r, a.APIGroup) && ResourceMatches(r, combined, a.Subresource) {
				return true
			}
		}
		return false
	}
	if len(perms) == 0 {
		return nil
	}
	if d, ok := allow(adminAttrs); ok {
		step("holds every verb on every resource cluster-wide", AdminTarget, d)
		return out
	}
	rbacGroup := "rbac.authorization.k8s.io"
	// bind or escalate cluster-wide.
	if dc, ok := allow(Attributes{Verb: "create", APIGroup: rbacGroup, Resource: "clusterrolebindings"}); ok {
		for _, r := range m.clusterRoleList {
			if !roleIsAdmin(r) {
				continue
			}
			if db, ok := allow(Attributes{Verb: "bind", APIGroup: rbacGroup, Resource: "clusterroles", Name: r.ref.Name}); ok {
				step("can bind ClusterRole "+r.ref.Name+" cluster-wide", AdminTarget, dc, db)
				return out
			}
		}
	}
	if de, ok := allow(Attributes{Verb: "escalate", APIGroup: rbacGroup, Resource: "clusterroles"}); ok {
		for _, verb := range []string{"update", "patch"} {
			if du, ok := allow(Attributes{Verb: verb, APIGroup: rbacGroup, Resource: "clusterroles"}); ok {
				step("can escalate and "+verb+" any ClusterRole (add */*/* to one it is bound to)", AdminTarget, de, du)
				return out
			}
		}
	}
	// Impersonation.
	if dg, ok := allow(Attributes{Verb: "impersonate", Resource: "groups", Name: GroupMasters}); ok {
		if du, ok := allow(Attributes{Verb: "impersonate", Resource: "users"}); ok {
			step("can impersonate group system:masters", AdminTarget, dg, du)
			return out
		}
	}
	// CSR approval for the kube-apiserver-client signer issues client
	// certificates for any user and group, system:masters included.
	if dc, ok := allow(Attributes{Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"}); ok {
		if da, ok := allow(Attributes{Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval"}); ok {
			for _, signer := range []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} {
				if ds, ok := allow(Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: signer}); ok {
					step("can create and approve a client certificate signing request for group system:masters", AdminTarget, dc, da, ds)
					return out
				}
			}
		}
	}
	canImpUsers, canImpSAs := could(Attributes{Verb: "impersonate", Resource: "users"}), could(Attributes{Verb: "impersonate", Resource: "serviceaccounts"})
	for _, n := range g.nodes {
		if !canImpUsers && !canImpSAs {
			break
		}
		switch n.Kind {
		case KindUser:
			if d, ok := allow(Attributes{Verb: "impersonate", Resource: "users", Name: n.Name}); ok && n != from {
				step("can impersonate user "+n.Name, n, d)
			}
		case KindServiceAccount:
			if d, ok := allow(Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: n.Namespace, Name: n.Name}); ok && n != from {
				step("can impersonate", n, d)
			}
		}
	}
	// Node proxy: the kubelet API runs commands in every pod of the node.
	for _, verb := range []string{"create", "get"} {
		if d, ok := allow(Attributes{Verb: verb, Resource: "nodes", Subresource: "proxy"}); ok {
			for _, w := range g.workloadSAs("") {
				if w != from {
					step(verb+" nodes/proxy: exec through the kubelet into pods running as", w, d)
				}
			}
			break
		}
	}
	for _, ns := range m.namespacesOf(&u) {
		targetNS := []string{ns}
		where := " in namespace " + ns
		if ns == "" {
			targetNS, where = m.namespaces, " in every namespace"
		}
		// Running a pod as any service account of the namespace.
		for _, pr := range podRunners {
			var d Decision
			var ok bool
			var verb string
			verbs := []string{"create", "update", "patch"}
			if pr.resource == "pods" {
				verbs = verbs[:1] // a pod's service account cannot be changed after creation
			}
			for _, verb = range verbs {
				if d, ok = allow(Attributes{Verb: verb, APIGroup: pr.group, Resource: pr.resource, Namespace: ns}); ok {
					break
				}
			}
			if !ok {
				continue
			}
			for _, tns := range targetNS {
				for _, sa := range g.saNamesIn(tns) {
					to := Subject{Kind: KindServiceAccount, Namespace: tns, Name: sa}
					if to != from {
						step(fmt.Sprintf("can %s %s%s and run a pod as", verb, pr.resource, where), to, d)
					}
				}
			}
			break
		}
		// Exec, attach or an ephemeral container in running pods.
		for _, a := range []Attributes{
			{Verb: "create", Resource: "pods", Subresource: "exec"},
			{Verb: "create", Resource: "pods", Subresource: "attach"},
			{Verb: "patch", Resource: "pods", Subresource: "ephemeralcontainers"},
			{Verb: "update", Resource: "pods", Subresource: "ephemeralcontainers"},
		} {
			a.Namespace = ns
			if d, ok := allow(a); ok {
				for _, tns := range targetNS {
					for _, to := range g.workloadSAs(tns) {
						if to != from {
							step(fmt.Sprintf("can %s pods/%s%s into a pod running as", a.Verb, a.Subresource, where), to, d)
						}
					}
				}
				break
			}
		}
		// Minting tokens.
		for _, tns := range targetNS {
			if !could(Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token"}) {
				break
			}
			for _, sa := range g.saNamesIn(tns) {
				to := Subject{Kind: KindServiceAccount, Namespace: tns, Name: sa}
				if to == from {
					continue
				}
				if d, ok := allow(Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns, Name: sa}); ok {
					step("can create a token"+where+" for", to, d)
				}
			}
		}
		// Reading long-lived token secrets, or creating one and reading it.
		canReadSecrets := could(Attributes{Verb: "get", Resource: "secrets"}) || could(Attributes{Verb: "list", Resource: "secrets"})
		for _, ts := range m.tokenSecrets {
			if !canReadSecrets {
				break
			}
			if ns != "" && ts.Namespace != ns {
				continue
			}
			to := Subject{Kind: KindServiceAccount, Namespace: ts.Namespace, Name: ts.ServiceAccount}
			if to == from {
				continue
			}
			if d, ok := allow(Attributes{Verb: "get", Resource: "secrets", Namespace: ns, Name: ts.Name}); ok {
				step("can read Secret "+ts.Namespace+"/"+ts.Name+", the token of", to, d)
			} else if d, ok := allow(Attributes{Verb: "list", Resource: "secrets", Namespace: ns}); ok {
				step("can list Secrets"+where+", including "+ts.Name+", the token of", to, d)
			}
		}
		if dc, ok := allow(Attributes{Verb: "create", Resource: "secrets", Namespace: ns}); ok {
			if dg, ok := allow(Attributes{Verb: "get", Resource: "secrets", Namespace: ns}); ok {
				for _, tns := range targetNS {
					for _, sa := range g.saNamesIn(tns) {
						to := Subject{Kind: KindServiceAccount, Namespace: tns, Name: sa}
						if to != from {
							step("can create a service-account-token Secret"+where+" and read it for", to, dc, dg)
						}
					}
				}
			}
		}
	}
	return dedupeSteps(out)
}

// dedupeSteps keeps the first step to each target.
func dedupeSteps(steps []Step) []Step {
	seen := map[Subject]bool{}
	out := steps[:0]
	for _, s := range steps {
		if !seen[s.To] {
			seen[s.To] = true
			out = append(out, s)
		}
	}
	return out
}

func (g *Graph) workloadSAs(ns string) []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for _, w := range g.m.workloads {
		if ns != "" && w.Object.Namespace != ns {
			continue
		}
		s := Subject{Kind: KindServiceAccount, Namespace: w.Object.Namespace, Name: w.ServiceAccount}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i], out[j]) })
	return out
}

func roleIsAdmin(r *role) bool {
	for i := range r.rules {
		if RuleAllows(&adminAttrs, &r.rules[i]) {
			return true
		}
	}
	return false
}

// shortest runs a breadth-first search backwards from AdminTarget.
func (g *Graph) shortest() {
	in := map[Subject][]*Step{}
	for _, n := range g.nodes {
		for i := range g.out[n] {
			s := &g.out[n][i]
			in[s.To] = append(in[s.To], s)
		}
	}
	queue := []Subject{AdminTarget}
	done := map[Subject]bool{AdminTarget: true}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		for _, s := range in[t] {
			if !done[s.From] {
				done[s.From] = true
				g.next[s.From] = s
				queue = append(queue, s.From)
			}
		}
	}
}

// PathToAdmin returns the shortest escalation path from s to cluster-admin
// equivalence, or nil. s must be a node (a subject of a binding or a known
// service account); other subjects are evaluated on the fly.
func (g *Graph) PathToAdmin(s Subject) *Path {
	if _, ok := g.out[s]; !ok {
		// Not a node: its own edges lead into the graph.
		best := (*Path)(nil)
		for _, st := range g.edges(s) {
			var rest []Step
			if st.To != AdminTarget {
				p := g.PathToAdmin(st.To)
				if p == nil {
					continue
				}
				rest = p.Steps
			}
			if best == nil || len(rest)+1 < len(best.Steps) {
				best = &Path{Subject: s, Steps: append([]Step{st}, rest...)}
			}
		}
		return best
	}
	if g.next[s] == nil {
		return nil
	}
	p := &Path{Subject: s}
	for cur := s; cur != AdminTarget; {
		st := g.next[cur]
		p.Steps = append(p.Steps, *st)
		cur = st.To
	}
	return p
}

// AdminPaths returns the shortest path of every node that reaches
// cluster-admin equivalence, sorted by subject.
func (g *Graph) AdminPaths() []Path {
	var out []Path
	for _, n := range g.nodes {
		if p := g.PathToAdmin(n); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Reachable returns every identity s can act as (directly or through
// others), each with the first step that reaches it, in breadth-first
// order.
func (g *Graph) Reachable(s Subject) []Step {
	var out []Step
	seen := map[Subject]bool{s: true}
	queue := []Subject{s}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		steps, ok := g.out[cur]
		if !ok {
			steps = g.edges(cur)
		}
		for _, st := range steps {
			if !seen[st.To] {
				seen[st.To] = true
				out = append(out, st)
				if st.To != AdminTarget {
					queue = append(queue, st.To)
				}
			}
		}
	}
	return out
}
