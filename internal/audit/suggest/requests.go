// Package suggest derives least-privilege RBAC from what identities
// actually did, as recorded in audit events: Suggest writes the Roles,
// ClusterRoles and bindings that cover exactly one identity's authorized
// requests; Unused lists the permissions bindings grant that no request in
// the log used. Both read the authorizer's view of each request straight
// from the event (verb, API group, resource, subresource, namespace, name,
// non-resource path), which is what RBAC matched.
package suggest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/rbac"
)

// request is what the authorizer saw of one request.
type request = rbac.Attributes

// checked returns what the API server authorized for an allowed event:
// its own request and, for a WebSocket exec, attach or port-forward (a get
// of the stream), the create it also checks before connecting (Kubernetes
// 1.35+, rbac.ConnectNote).
func checked(ev *event.Event) []request {
	a := attributes(ev)
	if !rbac.NeedsCreateToo(a) {
		return []request{a}
	}
	c := a
	c.Verb = "create"
	return []request{a, c}
}

// attributes returns the authorizer attributes of an event.
func attributes(ev *event.Event) request {
	if o := ev.ObjectRef; o != nil {
		return request{Verb: ev.Verb, APIGroup: o.APIGroup, Resource: o.Resource, Subresource: o.Subresource, Namespace: o.Namespace, Name: o.Name}
	}
	path, _, _ := strings.Cut(ev.RequestURI, "?")
	return request{Verb: ev.Verb, NonResource: true, Path: path}
}

// counted reports whether an event is the one stage of its request that
// counts (RequestReceived precedes every other; ResponseComplete follows
// ResponseStarted for the same request: as sets are kept, double counting
// is harmless, but RequestReceived carries no decision).
func counted(ev *event.Event) bool { return ev.Started() }

// effective returns the identity a request was authorized as: the
// impersonated user (who always gets system:authenticated, as the
// impersonation filter adds it), or the authenticated user.
func effective(ev *event.Event) rbac.UserInfo {
	u := &ev.User
	if ev.ImpersonatedUser != nil {
		u = ev.ImpersonatedUser
		groups := slices.Clone(u.Groups)
		if u.Username != rbac.UserAnonymous && !slices.Contains(groups, rbac.GroupAuthenticated) {
			groups = append(groups, rbac.GroupAuthenticated)
		}
		return rbac.UserInfo{Name: u.Username, Groups: groups}
	}
	return rbac.UserInfo{Name: u.Username, Groups: slices.Clone(u.Groups)}
}

// impersonationRequests are the impersonate checks the API server made for
// an impersonating request: the user (or service account), each requested
// group, the UID and each extra value.
func impersonationRequests(ev *event.Event) []request {
	as := ev.ImpersonatedUser
	if as == nil {
		return nil
	}
	var out []request
	ns, name, isSA := rbac.SplitServiceAccountUsername(as.Username)
	if isSA {
		out = append(out, request{Verb: "impersonate", Resource: "serviceaccounts", Namespace: ns, Name: name})
	} else if as.Username != "" {
		out = append(out, request{Verb: "impersonate", Resource: "users", Name: as.Username})
	}
	for _, g := range as.Groups {
		// Groups the API server adds by itself are not requested.
		if g == rbac.GroupAuthenticated || (isSA && (g == rbac.GroupServiceAccounts || g == "system:serviceaccounts:"+ns)) {
			continue
		}
		out = append(out, request{Verb: "impersonate", Resource: "groups", Name: g})
	}
	if as.UID != "" {
		out = append(out, request{Verb: "impersonate", APIGroup: "authentication.k8s.io", Resource: "uids", Name: as.UID})
	}
	for k, vs := range as.Extra {
		for _, v := range vs {
			out = append(out, request{Verb: "impersonate", APIGroup: "authentication.k8s.io", Resource: "userextras", Subresource: k, Name: v})
		}
	}
	return out
}

// span tracks the time range of the events read.
type span struct {
	from, to time.Time
	untimed  int // events without a timestamp
}

func (s *span) add(t time.Time) {
	if t.IsZero() {
		s.untimed++
		return
	}
	if s.from.IsZero() || t.Before(s.from) {
		s.from = t
	}
	if t.After(s.to) {
		s.to = t
	}
}

// spanText says when n events happened: "between A and B", and how many
// had no timestamp; "at an unknown time" when none had one.
func spanText(from, to time.Time, untimed, n int) string {
	const layout = "2006-01-02T15:04:05Z"
	if from.IsZero() {
		if n == 0 {
			return "no events"
		}
		return fmt.Sprintf("time span unknown: none of the %d events has a timestamp (stageTimestamp, requestReceivedTimestamp)", n)
	}
	s := "between " + from.UTC().Format(layout) + " and " + to.UTC().Format(layout)
	if d := to.Sub(from); d > 0 {
		s += " (" + d.Round(time.Second).String() + ")"
	}
	if untimed > 0 {
		s += fmt.Sprintf(", and %d events without a timestamp", untimed)
	}
	return s
}
