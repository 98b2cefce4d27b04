package rbac

import "sort"

// Since Kubernetes 1.35 (feature gate
// AuthorizePodWebsocketUpgradeCreatePermission, on by default) the API
// server authorizes a GET of pods/exec, pods/attach and pods/portforward,
// which is how WebSocket clients (kubectl exec since 1.31) open those
// streams, a second time as "create" before connecting
// (pkg/registry/core/pod/rest: ensureAuthorizedForVerb in the Connect of
// ExecREST, AttachREST and PortForwardREST). A SPDY client POSTs, which is
// "create" already. Allowed and WhoCan answer what the authorizer answers
// (a SubjectAccessReview); CanDo and WhoCanDo answer whether the request
// goes through.

// ConnectNote says why a get of a pod stream also needs create.
const ConnectNote = "since Kubernetes 1.35 a get (WebSocket) of pods/exec, pods/attach or pods/portforward also needs create on it (AuthorizePodWebsocketUpgradeCreatePermission)"

// NeedsCreateToo reports whether a request is a GET connection to a pod
// stream, which the API server also authorizes as create.
func NeedsCreateToo(a Attributes) bool {
	if a.NonResource || a.Verb != "get" || a.APIGroup != "" || a.Resource != "pods" {
		return false
	}
	switch a.Subresource {
	case "exec", "attach", "portforward":
		return true
	}
	return false
}

// CanDo answers whether u's request goes through authorization: Allowed,
// and for a GET of a pod stream also create (Decision.Also names the grant
// of the second check; Decision.Reason says which is missing).
func (m *Model) CanDo(u UserInfo, a Attributes) Decision {
	d := m.Allowed(u, a)
	if !d.Allowed || !NeedsCreateToo(a) {
		return d
	}
	c := a
	c.Verb = "create"
	dc := m.Allowed(u, c)
	if !dc.Allowed {
		return Decision{Reason: "get is allowed by " + d.Grant.String() + ", but not create: " + ConnectNote}
	}
	d.Also = dc.Grant
	return d
}

// WhoCanDo is WhoCan for requests that go through: for a GET of a pod
// stream, the subjects allowed get that are also allowed create (as the
// identity their authenticator gives them, see UserInfoFor: a Group allowed
// get whose members are allowed create by another binding is not listed),
// with both grants.
func (m *Model) WhoCanDo(a Attributes) []SubjectGrants {
	out := m.WhoCan(a)
	if !NeedsCreateToo(a) {
		return out
	}
	kept := out[:0]
	for _, sg := range out {
		if isPrivileged(sg) {
			kept = append(kept, sg)
			continue
		}
		c := a
		c.Verb = "create"
		if d := m.Allowed(UserInfoFor(sg.Subject), c); d.Allowed {
			if !hasGrant(sg.Grants, d.Grant) { // a rule with both verbs is named once
				sg.Grants = append(sg.Grants, *d.Grant)
			}
			kept = append(kept, sg)
		}
	}
	return kept
}

func hasGrant(gs []Grant, g *Grant) bool {
	for i := range gs {
		if gs[i].Binding == g.Binding && gs[i].Role == g.Role && gs[i].RuleIndex == g.RuleIndex && gs[i].SubjectIndex == g.SubjectIndex {
			return true
		}
	}
	return false
}

func isPrivileged(sg SubjectGrants) bool {
	return len(sg.Grants) > 0 && sg.Grants[0].Binding.Kind == PrivilegedGroupKind
}

// WhoCanDoAnywhere answers "who can make this request in some namespace,
// and where": WhoCanDo in every namespace the model knows, merged. A grant
// of a ClusterRoleBinding (Namespace "") applies in every namespace; one of
// a RoleBinding in its namespace. a.Namespace is ignored.
func (m *Model) WhoCanDoAnywhere(a Attributes) []SubjectGrants {
	type grantKey struct {
		binding, role ObjectRef
		subject, rule int
	}
	namespaces := m.namespaces
	if len(namespaces) == 0 {
		namespaces = []string{""} // ClusterRoleBindings alone
	}
	by := map[Subject]*SubjectGrants{}
	var order []Subject
	seen := map[grantKey]bool{}
	for _, ns := range namespaces {
		a.Namespace = ns
		for _, sg := range m.WhoCanDo(a) {
			for _, g := range sg.Grants {
				k := grantKey{g.Binding, g.Role, g.SubjectIndex, g.RuleIndex}
				if seen[k] {
					continue
				}
				seen[k] = true
				if by[sg.Subject] == nil {
					by[sg.Subject] = &SubjectGrants{Subject: sg.Subject}
					order = append(order, sg.Subject)
				}
				by[sg.Subject].Grants = append(by[sg.Subject].Grants, g)
			}
		}
	}
	out := make([]SubjectGrants, 0, len(order))
	for _, s := range order {
		sg := *by[s]
		sort.SliceStable(sg.Grants, func(i, j int) bool { return grantLess(&sg.Grants[i], &sg.Grants[j]) })
		out = append(out, sg)
	}
	sort.SliceStable(out, func(i, j int) bool { return subjectLess(out[i].Subject, out[j].Subject) })
	return out
}
