package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Well-known user and group names (k8s.io/apiserver/pkg/authentication/user
// and .../serviceaccount).
const (
	GroupMasters         = "system:masters"
	GroupAuthenticated   = "system:authenticated"
	GroupUnauthenticated = "system:unauthenticated"
	GroupServiceAccounts = "system:serviceaccounts"
	UserAnonymous        = "system:anonymous"
	saUserPrefix         = "system:serviceaccount:"
	saGroupPrefix        = "system:serviceaccounts:"
)

// Subject kinds, as in rbacv1.Subject.Kind.
const (
	KindUser           = rbacv1.UserKind
	KindGroup          = rbacv1.GroupKind
	KindServiceAccount = rbacv1.ServiceAccountKind
)

// Subject is a User, Group or ServiceAccount as a binding names it, with a
// ServiceAccount's namespace filled in (a RoleBinding's own namespace when
// the subject leaves it empty).
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (s Subject) String() string {
	if s.Kind == KindServiceAccount {
		return "ServiceAccount " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// ServiceAccountUsername is the user name of a service account
// ("system:serviceaccount:NS:NAME").
func ServiceAccountUsername(namespace, name string) string {
	return saUserPrefix + namespace + ":" + name
}

// SplitServiceAccountUsername returns the namespace and name of a service
// account user name, ok false for other names.
func SplitServiceAccountUsername(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, saUserPrefix)
	if !found {
		return "", "", false
	}
	namespace, name, found = strings.Cut(rest, ":")
	if !found || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return namespace, name, true
}

// UserInfo is an authenticated identity exactly as the authorizer sees it:
// no group is added implicitly (a SubjectAccessReview also adds none).
type UserInfo struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups,omitempty"`
}

// UserInfoFor returns the identity a real authenticator gives a subject:
// a user gets system:authenticated (plus extra groups); a service account
// gets system:serviceaccounts, system:serviceaccounts:NS and
// system:authenticated; a group is a nameless member of that group only.
func UserInfoFor(s Subject, extraGroups ...string) UserInfo {
	switch s.Kind {
	case KindServiceAccount:
		return UserInfo{Name: ServiceAccountUsername(s.Namespace, s.Name),
			Groups: append([]string{GroupServiceAccounts, saGroupPrefix + s.Namespace, GroupAuthenticated}, extraGroups...)}
	case KindGroup:
		return UserInfo{Groups: append([]string{s.Name}, extraGroups...)}
	default:
		if s.Name == UserAnonymous {
			return UserInfo{Name: s.Name, Groups: append([]string{GroupUnauthenticated}, extraGroups...)}
		}
		return UserInfo{Name: s.Name, Groups: append([]string{GroupAuthenticated}, extraGroups...)}
	}
}

// Attributes describe one request as the authorizer sees it. A resource
// request has Resource set; a non-resource request has NonResource and
// Path. Namespace "" is a cluster-wide request.
type Attributes struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	NonResource bool   `json:"nonResource,omitempty"`
	Path        string `json:"path,omitempty"`
}

func (a Attributes) String() string {
	if a.NonResource {
		return a.Verb + " " + a.Path
	}
	var b strings.Builder
	b.WriteString(a.Verb)
	b.WriteByte(' ')
	// RESOURCE.GROUP/SUBRESOURCE, as the commands take it.
	b.WriteString(a.Resource)
	if a.APIGroup != "" {
		b.WriteString("." + a.APIGroup)
	}
	if a.Subresource != "" {
		b.WriteString("/" + a.Subresource)
	}
	if a.Name != "" {
		b.WriteString(" " + a.Name)
	}
	if a.Namespace != "" {
		b.WriteString(" in namespace " + a.Namespace)
	} else {
		b.WriteString(" cluster-wide")
	}
	return b.String()
}

// ObjectRef names an RBAC object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (r ObjectRef) String() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Grant is one rule that a binding gives a subject: the binding, the
// matching subject as written in it, the role and the rule (by index into
// the role's effective rules, which for an aggregated ClusterRole are the
// aggregated ones). Namespace is where the grant applies; "" for a
// ClusterRoleBinding (every namespace and cluster-wide requests).
// A grant from the privileged group system:masters has Binding.Kind
// "PrivilegedGroup" and no role.
type Grant struct {
	Binding      ObjectRef         `json:"binding"`
	SubjectIndex int               `json:"subjectIndex"`
	Subject      Subject           `json:"subject"`
	Role         ObjectRef         `json:"role"`
	RuleIndex    int               `json:"ruleIndex"`
	Rule         rbacv1.PolicyRule `json:"rule"`
	Namespace    string            `json:"namespace,omitempty"`
	// From names the ClusterRole an aggregated rule was copied from.
	From string `json:"aggregatedFrom,omitempty"`
	// Restored marks a rule the role lacks as written, which the API
	// server's bootstrap reconciliation adds back at its next start (the
	// role has the name of a bootstrap role).
	Restored bool `json:"restoredByAPIServer,omitempty"`
}

// PrivilegedGroupKind is Grant.Binding.Kind for system:masters, which the
// API server authorizes before RBAC for everything.
const PrivilegedGroupKind = "PrivilegedGroup"

// ClusterWide reports whether the grant applies in every namespace.
func (g *Grant) ClusterWide() bool { return g.Namespace == "" }

func (g Grant) String() string {
	if g.Binding.Kind == PrivilegedGroupKind {
		return "group system:masters (authorized for everything before RBAC)"
	}
	s := fmt.Sprintf("%s -> %s rule %d %s", g.Binding, g.Role, g.RuleIndex, RuleString(&g.Rule))
	if g.From != "" {
		s += " (aggregated from ClusterRole " + g.From + ")"
	}
	if g.Restored {
		s += " " + RestoredNote
	}
	return s
}

// RestoredNote explains a rule restored by bootstrap reconciliation.
const RestoredNote = "(a bootstrap role's rule the API server adds back at its next start)"

// RuleString renders a rule compactly, like upstream's CompactString.
func RuleString(r *rbacv1.PolicyRule) string {
	var parts []string
	add := func(k string, v []string) {
		if len(v) > 0 {
			parts = append(parts, k+"="+strings.Join(v, ","))
		}
	}
	add("verbs", r.Verbs)
	add("apiGroups", quoteEmpty(r.APIGroups))
	add("resources", r.Resources)
	add("resourceNames", r.ResourceNames)
	add("nonResourceURLs", r.NonResourceURLs)
	return "{" + strings.Join(parts, " ") + "}"
}

func quoteEmpty(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s == "" {
			s = `""`
		}
		out[i] = s
	}
	return out
}

// Decision is the answer to one access question.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Grant is the first grant that allows the request (ClusterRoleBindings
	// before RoleBindings, each by name), nil when denied.
	Grant *Grant `json:"grant,omitempty"`
	// Also is the grant of a second check the API server makes: create,
	// for a get of a pod stream (see CanDo).
	Also *Grant `json:"alsoRequired,omitempty"`
	// Reason says why a request was denied although some grant allows
	// part of it.
	Reason string `json:"reason,omitempty"`
}

// SubjectGrants is a subject and the grants that allow it a request.
type SubjectGrants struct {
	Subject Subject `json:"subject"`
	Grants  []Grant `json:"grants"`
}
