package rbac

import (
	"fmt"
	"strings"
	"unicode"
)

// ParseSubject reads a subject as people write it on a command line:
//
//	alice, user:alice, User/alice            a user
//	group:devs, Group/devs                   a group
//	sa:NS:NAME, sa:NS/NAME, serviceaccount:NS/NAME, ServiceAccount/NS/NAME
//	system:serviceaccount:NS:NAME            a service account's user name
func ParseSubject(s string) (Subject, error) {
	if s == "" {
		return Subject{}, fmt.Errorf("empty subject")
	}
	if ns, name, ok := SplitServiceAccountUsername(s); ok {
		return Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	kind, rest, found := strings.Cut(s, ":")
	if !found || strings.HasPrefix(s, "system:") {
		kind, rest, found = strings.Cut(s, "/")
		if !found || strings.HasPrefix(s, "system:") {
			return checkSubject(Subject{Kind: KindUser, Name: s})
		}
	}
	switch strings.ToLower(kind) {
	case "user", "u":
		return checkSubject(Subject{Kind: KindUser, Name: rest})
	case "group", "g":
		return checkSubject(Subject{Kind: KindGroup, Name: rest})
	case "sa", "serviceaccount":
		ns, name, ok := strings.Cut(rest, "/")
		if !ok {
			ns, name, ok = strings.Cut(rest, ":")
		}
		if !ok || ns == "" || name == "" || strings.ContainsAny(name, ":/") {
			return Subject{}, fmt.Errorf("service account %q: want NAMESPACE/NAME", rest)
		}
		return checkSubject(Subject{Kind: KindServiceAccount, Namespace: ns, Name: name})
	}
	return Subject{}, fmt.Errorf("subject %q: unknown kind %q (want user, group or sa)", s, kind)
}

func checkSubject(s Subject) (Subject, error) {
	if s.Name == "" {
		return Subject{}, fmt.Errorf("%s with an empty name", s.Kind)
	}
	for _, r := range s.Name + s.Namespace {
		if unicode.IsControl(r) {
			return Subject{}, fmt.Errorf("%s name has a control character", s.Kind)
		}
	}
	return s, nil
}

// ParseRequest builds attributes from a verb and a resource as kubectl
// auth can-i writes them: "pods", "pods/exec", "deployments.apps",
// "deployments.apps/scale", "*", or a non-resource URL starting with "/".
// group, when set, overrides a group in the resource.
func ParseRequest(verb, resource, name, namespace, group string) (Attributes, error) {
	if verb == "" || strings.ContainsAny(verb, " /") {
		return Attributes{}, fmt.Errorf("verb %q: want one word such as get, create or *", verb)
	}
	if strings.HasPrefix(resource, "/") {
		if name != "" || namespace != "" || group != "" {
			return Attributes{}, fmt.Errorf("a non-resource URL has no name, namespace or API group")
		}
		return Attributes{Verb: verb, NonResource: true, Path: resource}, nil
	}
	res, sub, _ := strings.Cut(resource, "/")
	if strings.Contains(sub, "/") {
		return Attributes{}, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", resource)
	}
	res, g, _ := strings.Cut(res, ".")
	if group != "" {
		g = group
	}
	if res == "" {
		return Attributes{}, fmt.Errorf("resource %q: empty resource name", resource)
	}
	if g == "core" {
		g = ""
	}
	return Attributes{Verb: verb, APIGroup: g, Resource: res, Subresource: sub, Name: name, Namespace: namespace}, nil
}
