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

// Sentence says the step in words: "User ci can create deployments in
// namespace shop and run a pod as ServiceAccount shop/operator", "...
// holds every verb on every resource cluster-wide (cluster-admin
// equivalent)".
func (s Step) Sentence() string {
	if s.To == AdminTarget {
		return fmt.Sprintf("%s %s (cluster-admin equivalent)", s.From, s.Action)
	}
	return fmt.Sprintf("%s %s %s", s.From, s.Action, s.To)
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
	// BuiltIn marks a path of one of Kubernetes' own components (see
	// IsBuiltIn), which holds such rights by design.
	BuiltIn bool `json:"builtIn,omitempty"`
}

// Graph is the escalation graph of a model, built once.
type Graph struct {
	m       *Model
	nodes   []Subject
	out     map[Subject][]Step
	next    map[Subject]*Step // shortest-path successor towards AdminTarget
	saByNS  map[string][]string
	podSAs  map[string][]Subject // namespace -> accounts of its workloads
	podNSes []string
}

// Pseudo-nodes keep the graph linear in size: "any service account of
// namespace N" (pod creation, token Secrets), "the accounts of the pods
// running in N" (exec), and their cluster-wide unions. Paths never show
// them: a step into one is merged with the step out of it.
const (
	kindAnyAccountIn = "pseudo:any-service-account-in"
	kindPodsIn       = "pseudo:pods-in"
	kindAnyAccount   = "pseudo:any-service-account"
	kindAnyPod       = "pseudo:any-pod"
)

func isPseudo(s Subject) bool { return strings.HasPrefix(s.Kind, "pseudo:") }

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
	g.saByNS = map[string][]string{}
	for _, n := range g.nodes {
		if n.Kind == KindServiceAccount {
			g.saByNS[n.Namespace] = append(g.saByNS[n.Namespace], n.Name)
		}
	}
	g.podSAs = map[string][]Subject{}
	for _, s := range g.workloadSAs("") {
		g.podSAs[s.Namespace] = append(g.podSAs[s.Namespace], s)
	}
	g.podNSes = sortedKeys(g.podSAs)
	for _, n := range g.nodes {
		g.out[n] = g.edges(n)
	}
	g.pseudoEdges()
	g.shortest()
	return g
}

func (g *Graph) pseudoEdges() {
	anyAccount := Subject{Kind: kindAnyAccount}
	anyPod := Subject{Kind: kindAnyPod}
	for _, ns := range g.m.namespaces {
		p := Subject{Kind: kindAnyAccountIn, Namespace: ns}
		g.out[anyAccount] = append(g.out[anyAccount], Step{From: anyAccount, To: p})
		for _, sa := range g.saByNS[ns] {
			g.out[p] = append(g.out[p], Step{From: p, To: Subject{Kind: KindServiceAccount, Namespace: ns, Name: sa}})
		}
	}
	for _, ns := range g.podNSes {
		p := Subject{Kind: kindPodsIn, Namespace: ns}
		g.out[anyPod] = append(g.out[anyPod], Step{From: anyPod, To: p})
		for _, sa := range g.podSAs[ns] {
			g.out[p] = append(g.out[p], Step{From: p, To: sa})
		}
	}
}

func (m *Model) allBindings() []*binding {
	out := append([]*binding(nil), m.crbs...)
	for _, ns := range sortedKeys(m.rbs) {
		out = append(out, m.rbs[ns]...)
	}
	return out
}

// namespacesOf is "" (cluster-wide grants, valid in every namespace) plus
// every namespace where u has a RoleBinding.
func namespacesOf(cands []*binding) []string {
	set := map[string]bool{}
	for _, b := range cands {
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
	next:
		for _, d := range ds {
			for _, have := range s.Grants {
				if have.Binding == d.Grant.Binding && have.RuleIndex == d.Grant.RuleIndex && have.Role == d.Grant.Role {
					continue next // one rule allowing two needed verbs is named once
				}
			}
			s.Grants = append(s.Grants, *d.Grant)
		}
		out = append(out, s)
	}
	// u's bindings are fetched once; each question filters them by
	// namespace, as Allowed does.
	cands := m.candidates(&u, "", true)
	masters := hasString(u.Groups, GroupMasters)
	allow := func(a Attributes) (Decision, bool) {
		if masters {
			g := privilegedGrant()
			return Decision{Allowed: true, Grant: &g}, true
		}
		for _, b := range cands {
			if b.role == nil || b.namespace != "" && b.namespace != a.Namespace {
				continue
			}
			for i := range b.role.rules {
				if RuleAllows(&a, &b.role.rules[i]) {
					g := b.grant(b.firstSubject(&u), i)
					return Decision{Allowed: true, Grant: &g}, true
				}
			}
		}
		return Decision{}, false
	}
	// could is a cheap filter before loops over many targets: whether any
	// granted rule matches the request ignoring names and namespaces.
	var perms []Grant
	for _, b := range cands {
		if b.role != nil {
			for i := range b.role.rules {
				perms = append(perms, Grant{Rule: b.role.rules[i]})
			}
		}
	}
	if masters {
		perms = append(perms, privilegedGrant())
	}
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
		for _, r := range m.adminRoles() {
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
			step(verb+" nodes/proxy: exec through the kubelet into a pod running as", Subject{Kind: kindAnyPod}, d)
			break
		}
	}
	canRun := false
	for _, pr := range podRunners {
		canRun = canRun || could(Attributes{Verb: "create", APIGroup: pr.group, Resource: pr.resource}) ||
			pr.resource != "pods" && (could(Attributes{Verb: "update", APIGroup: pr.group, Resource: pr.resource}) ||
				could(Attributes{Verb: "patch", APIGroup: pr.group, Resource: pr.resource}))
	}
	canExec := could(Attributes{Verb: "create", Resource: "pods", Subresource: "exec"}) || could(Attributes{Verb: "create", Resource: "pods", Subresource: "attach"}) ||
		could(Attributes{Verb: "patch", Resource: "pods", Subresource: "ephemeralcontainers"}) || could(Attributes{Verb: "update", Resource: "pods", Subresource: "ephemeralcontainers"})
	canMint := could(Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token"})
	canReadSecrets := could(Attributes{Verb: "get", Resource: "secrets"}) || could(Attributes{Verb: "list", Resource: "secrets"})
	canMakeSecrets := canReadSecrets && could(Attributes{Verb: "create", Resource: "secrets"})
	for _, ns := range namespacesOf(cands) {
		where := " in namespace " + ns
		anyAccount := Subject{Kind: kindAnyAccountIn, Namespace: ns}
		anyPod := Subject{Kind: kindPodsIn, Namespace: ns}
		saNS := []string{ns}
		if ns == "" {
			where = " in every namespace"
			anyAccount, anyPod, saNS = Subject{Kind: kindAnyAccount}, Subject{Kind: kindAnyPod}, m.namespaces
		}
		// Running a pod as any service account of the namespace.
		for _, pr := range podRunners {
			if !canRun {
				break
			}
			verbs := []string{"create", "update", "patch"}
			if pr.resource == "pods" {
				verbs = verbs[:1] // a pod's service account cannot be changed after creation
			}
			found := false
			for _, verb := range verbs {
				if d, ok := allow(Attributes{Verb: verb, APIGroup: pr.group, Resource: pr.resource, Namespace: ns}); ok {
					step(fmt.Sprintf("can %s %s%s and run a pod as", verb, pr.resource, where), anyAccount, d)
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		// Exec, attach or an ephemeral container in running pods.
		for _, a := range []Attributes{
			{Verb: "create", Resource: "pods", Subresource: "exec"},
			{Verb: "create", Resource: "pods", Subresource: "attach"},
			{Verb: "patch", Resource: "pods", Subresource: "ephemeralcontainers"},
			{Verb: "update", Resource: "pods", Subresource: "ephemeralcontainers"},
		} {
			if !canExec {
				break
			}
			a.Namespace = ns
			if d, ok := allow(a); ok {
				step(fmt.Sprintf("can %s pods/%s%s into a pod running as", a.Verb, a.Subresource, where), anyPod, d)
				break
			}
		}
		// Minting tokens: any account when the rule names none.
		if canMint {
			if d, ok := allow(Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns}); ok {
				step("can create a token"+where+" for", anyAccount, d)
			} else {
				for _, tns := range saNS {
					for _, sa := range g.saByNS[tns] {
						to := Subject{Kind: KindServiceAccount, Namespace: tns, Name: sa}
						if to == from {
							continue
						}
						if d, ok := allow(Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns, Name: sa}); ok {
							step("can create a token"+where+" for", to, d)
						}
					}
				}
			}
		}
		// Reading long-lived token secrets, or creating one and reading it.
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
		if canMakeSecrets {
			if dc, ok := allow(Attributes{Verb: "create", Resource: "secrets", Namespace: ns}); ok {
				if dg, ok := allow(Attributes{Verb: "get", Resource: "secrets", Namespace: ns}); ok {
					step("can create a service-account-token Secret"+where+" and read it for", anyAccount, dc, dg)
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

// adminRoles are the ClusterRoles that grant */*/*, cluster-admin first.
func (m *Model) adminRoles() []*role {
	var out []*role
	for _, r := range m.clusterRoleList {
		if roleIsAdmin(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ref.Name == "cluster-admin" && out[j].ref.Name != "cluster-admin" })
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
	froms := append([]Subject(nil), g.nodes...)
	var pseudo []Subject
	for n := range g.out {
		if isPseudo(n) {
			pseudo = append(pseudo, n)
		}
	}
	sort.Slice(pseudo, func(i, j int) bool {
		return pseudo[i].Kind+"/"+pseudo[i].Namespace < pseudo[j].Kind+"/"+pseudo[j].Namespace
	})
	froms = append(froms, pseudo...)
	for _, n := range froms {
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
				best = &Path{Subject: s, Steps: append([]Step{st}, rest...), BuiltIn: IsBuiltIn(s)}
			}
		}
		return best
	}
	if g.next[s] == nil {
		return nil
	}
	p := &Path{Subject: s, BuiltIn: IsBuiltIn(s)}
	for cur := s; cur != AdminTarget; {
		st := *g.next[cur]
		for isPseudo(st.To) { // merge the hop through a pseudo-node
			st.To = g.next[st.To].To
		}
		p.Steps = append(p.Steps, st)
		cur = st.To
	}
	return p
}

// AdminPaths returns the shortest path of every node that reaches
// cluster-admin equivalence: the subjects of the input first, then
// Kubernetes' own components (Path.BuiltIn), each sorted by subject.
func (g *Graph) AdminPaths() []Path {
	var out []Path
	for _, n := range g.nodes {
		if p := g.PathToAdmin(n); p != nil {
			out = append(out, *p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].BuiltIn && out[j].BuiltIn })
	return out
}

// Reachable returns every identity s can act as (directly or through
// others), each with the step that first reaches it, in breadth-first
// order.
func (g *Graph) Reachable(s Subject) []Step {
	var out []Step
	seen := map[Subject]bool{s: true}
	type item struct {
		node Subject
		via  *Step // the real step that led into a pseudo-node
	}
	queue := []item{{node: s}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		steps, ok := g.out[cur.node]
		if !ok {
			steps = g.edges(cur.node)
		}
		for i := range steps {
			st := steps[i]
			if seen[st.To] {
				continue
			}
			seen[st.To] = true
			via := cur.via
			if via == nil || !isPseudo(cur.node) {
				via = &steps[i]
			}
			if isPseudo(st.To) {
				queue = append(queue, item{node: st.To, via: via})
				continue
			}
			real := *via
			real.To = st.To
			out = append(out, real)
			if st.To != AdminTarget {
				queue = append(queue, item{node: st.To})
			}
		}
	}
	return out
}
