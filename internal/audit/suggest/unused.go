package suggest

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Usage gathers, for every identity in a log, the distinct requests it was
// authorized for. It implements event.Handler.
type Usage struct {
	ids       map[string]*identityUsage
	span      span
	events    int
	malformed []string
}

type identityUsage struct {
	user     rbac.UserInfo
	requests map[request]struct{}
}

// NewUsage returns an empty Usage.
func NewUsage() *Usage { return &Usage{ids: map[string]*identityUsage{}} }

// Events records authorized requests, as the identity they were
// authorized as, and the impersonate checks as the impersonator.
func (u *Usage) Events(evs []*event.Event, _ event.Pos) error {
	for _, ev := range evs {
		if !counted(ev) || !ev.Allowed() {
			continue
		}
		u.events++
		u.span.add(ev.Time())
		for _, r := range checked(ev) {
			u.add(effective(ev), r)
		}
		if ev.ImpersonatedUser != nil {
			actor := rbac.UserInfo{Name: ev.User.Username, Groups: slices.Clone(ev.User.Groups)}
			for _, r := range impersonationRequests(ev) {
				u.add(actor, r)
			}
		}
	}
	return nil
}

// Authorized is the number of authorized requests read.
func (u *Usage) Authorized() int { return u.events }

// Malformed remembers skipped input, to report it.
func (u *Usage) Malformed(err *event.ReadError) {
	if len(u.malformed) < 20 {
		u.malformed = append(u.malformed, err.Error())
	}
}

func (u *Usage) add(ui rbac.UserInfo, r request) {
	// Group membership can differ between requests (tokens with other
	// groups): each combination is its own identity.
	groups := slices.Clone(ui.Groups)
	slices.Sort(groups)
	key := ui.Name + "\x00" + strings.Join(groups, "\x00")
	iu := u.ids[key]
	if iu == nil {
		iu = &identityUsage{user: rbac.UserInfo{Name: ui.Name, Groups: groups}, requests: map[request]struct{}{}}
		u.ids[key] = iu
	}
	iu.requests[r] = struct{}{}
}

// UnusedOptions filter the report.
type UnusedOptions struct {
	// Subject limits the report to grants whose binding subject is this
	// User or ServiceAccount, or a Group it was seen in.
	Subject *rbac.Subject
	// IncludeSystem also reports the default (bootstrap) bindings and
	// subjects named system:*, whose permissions the cluster's own
	// components hold.
	IncludeSystem bool
}

// GrantUsage is one rule a binding grants one subject, and what of it the
// log used.
type GrantUsage struct {
	Subject   rbac.Subject      `json:"subject"`
	Binding   rbac.ObjectRef    `json:"binding"`
	Role      rbac.ObjectRef    `json:"role"`
	RuleIndex int               `json:"ruleIndex"`
	Rule      rbacv1.PolicyRule `json:"rule"`
	Namespace string            `json:"namespace,omitempty"`
	// Status is "unused" (no request used the rule) or "partly used".
	Status string `json:"status"`
	// Used lists requests the rule allowed (up to 20); Unused the
	// verb/resource combinations of a rule without wildcards that no
	// request used.
	Used   []string `json:"used,omitempty"`
	Unused []string `json:"unused,omitempty"`
	// Note explains an unused grant that the log cannot judge: its
	// subject made its requests in group system:masters, which the API
	// server allows before RBAC, so no rule was ever consulted.
	Note string `json:"note,omitempty"`
}

// UnusedReport is the result of Unused.
type UnusedReport struct {
	Grants []GrantUsage `json:"grants"`
	// Events is the number of authorized requests read; From and To
	// bound them: a permission unused in that span may be used later
	// (monthly jobs), so read a log as long as the longest cycle.
	Events int    `json:"events"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	// Span says the time span in words, also when events lack
	// timestamps; Untimed counts those.
	Span    string `json:"span"`
	Untimed int    `json:"untimed,omitempty"`
	// Masters are the identities seen in group system:masters: the API
	// server allows their requests before RBAC, so they use no grant.
	Masters   []string `json:"systemMasters,omitempty"`
	Malformed []string `json:"malformed,omitempty"`
}

type grantKey struct {
	binding   rbac.ObjectRef
	subject   rbac.Subject
	rule      int
	namespace string
}

// Unused compares the grants of m with the requests of the log. A request
// uses the grant the authorizer would have used: the first that allows it
// (ClusterRoleBindings before RoleBindings, by name), as in the API
// server, so grants reported unused can be removed without denying any
// request in the log.
func (u *Usage) Unused(m *rbac.Model, o UnusedOptions) *UnusedReport {
	used := map[grantKey]map[string]bool{}
	seenGroups := map[string]bool{} // groups the subject of interest was seen in
	masters := map[string]bool{}    // user names seen in system:masters
	for _, iu := range u.ids {
		if o.Subject != nil && iu.user.Name == subjectUser(*o.Subject) {
			for _, g := range iu.user.Groups {
				seenGroups[g] = true
			}
		}
		if slices.Contains(iu.user.Groups, rbac.GroupMasters) && len(iu.requests) > 0 {
			masters[iu.user.Name] = true
		}
		for r := range iu.requests {
			d := m.Allowed(iu.user, r)
			if !d.Allowed || d.Grant.Binding.Kind == rbac.PrivilegedGroupKind {
				continue
			}
			g := d.Grant
			k := grantKey{g.Binding, g.Subject, g.RuleIndex, g.Namespace}
			if used[k] == nil {
				used[k] = map[string]bool{}
			}
			used[k][r.String()] = true
		}
	}
	rules := map[rbac.ObjectRef][]rbacv1.PolicyRule{}
	for _, rv := range m.Roles() {
		rules[rv.Ref] = rv.Rules
	}
	rep := &UnusedReport{Events: u.events, Malformed: u.malformed, Untimed: u.span.untimed,
		Span: spanText(u.span.from, u.span.to, u.span.untimed, u.events), Masters: sortedKeys(masters)}
	if !u.span.from.IsZero() {
		rep.From, rep.To = u.span.from.UTC().Format("2006-01-02T15:04:05Z"), u.span.to.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, b := range m.Bindings() {
		if !o.IncludeSystem && (rbac.IsBootstrap(b.Ref) || strings.HasPrefix(b.Ref.Name, "system:")) {
			continue
		}
		for _, s := range b.Subjects {
			if !wanted(s, o, seenGroups) {
				continue
			}
			for i, rule := range rules[b.Role] {
				k := grantKey{b.Ref, s, i, b.Namespace}
				gu := GrantUsage{Subject: s, Binding: b.Ref, Role: b.Role, RuleIndex: i, Rule: rule, Namespace: b.Namespace}
				reqs := used[k]
				if len(reqs) == 0 {
					gu.Status = "unused"
					if s.Kind != rbac.KindGroup && masters[subjectUser(s)] {
						gu.Note = subjectUser(s) + " made its requests in group system:masters, which the API server allows " +
							"before RBAC: no rule was consulted, so the log cannot tell which it needs"
					}
					rep.Grants = append(rep.Grants, gu)
					continue
				}
				gu.Used = sortedKeys(reqs)
				if len(gu.Used) > 20 {
					gu.Used = append(gu.Used[:20], fmt.Sprintf("... and %d more", len(reqs)-20))
				}
				gu.Unused = neverUsed(&rule, reqs)
				if len(gu.Unused) > 0 {
					gu.Status = "partly used"
					rep.Grants = append(rep.Grants, gu)
				}
			}
		}
	}
	return rep
}

func subjectUser(s rbac.Subject) string {
	if s.Kind == rbac.KindServiceAccount {
		return rbac.ServiceAccountUsername(s.Namespace, s.Name)
	}
	return s.Name
}

func wanted(s rbac.Subject, o UnusedOptions, seenGroups map[string]bool) bool {
	if o.Subject != nil {
		if s.Kind == rbac.KindGroup {
			return seenGroups[s.Name]
		}
		return s == *o.Subject
	}
	if !o.IncludeSystem && (strings.HasPrefix(s.Name, "system:") || (s.Kind == rbac.KindServiceAccount && s.Namespace == "kube-system")) {
		return false
	}
	return true
}

// neverUsed expands a rule without wildcards into verb and resource
// combinations and returns those no used request matched. Rules with
// wildcards or resource names are judged by their used requests alone.
func neverUsed(rule *rbacv1.PolicyRule, used map[string]bool) []string {
	wild := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, "*") })
	}
	if wild(rule.Verbs) || wild(rule.Resources) || wild(rule.APIGroups) || wild(rule.NonResourceURLs) || len(rule.ResourceNames) > 0 {
		return nil
	}
	type combo struct{ verb, what string }
	hit := map[combo]bool{}
	for r := range used {
		verb, rest, _ := strings.Cut(r, " ")
		what, _, _ := strings.Cut(rest, " ")
		hit[combo{verb, what}] = true
	}
	var out []string
	for _, v := range rule.Verbs {
		for _, p := range rule.NonResourceURLs {
			if !hit[combo{v, p}] {
				out = append(out, v+" "+p)
			}
		}
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				what := res
				if g != "" {
					// Attributes.String writes resource/sub.group
					what = res + "." + g
				}
				if !hit[combo{v, what}] {
					out = append(out, v+" "+what)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
