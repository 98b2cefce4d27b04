package rbac

import (
	"strings"
	"testing"
)

func TestParseSubject(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Subject
		err  bool
	}{
		{in: "alice", want: Subject{Kind: KindUser, Name: "alice"}},
		{in: "user:alice", want: Subject{Kind: KindUser, Name: "alice"}},
		{in: "User/alice", want: Subject{Kind: KindUser, Name: "alice"}},
		{in: "group:devs", want: Subject{Kind: KindGroup, Name: "devs"}},
		{in: "group:system:masters", want: Subject{Kind: KindGroup, Name: "system:masters"}},
		{in: "sa:ns:app", want: Subject{Kind: KindServiceAccount, Namespace: "ns", Name: "app"}},
		{in: "serviceaccount:ns/app", want: Subject{Kind: KindServiceAccount, Namespace: "ns", Name: "app"}},
		{in: "system:serviceaccount:ns:app", want: Subject{Kind: KindServiceAccount, Namespace: "ns", Name: "app"}},
		{in: "system:kube-scheduler", want: Subject{Kind: KindUser, Name: "system:kube-scheduler"}},
		{in: "sa:app", err: true},
		{in: "robot:r2", err: true},
		{in: "", err: true},
		{in: "user:", err: true},
	} {
		got, err := ParseSubject(c.in)
		if (err != nil) != c.err || !c.err && got != c.want {
			t.Errorf("ParseSubject(%q) = %v, %v; want %v, err %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestParseRequest(t *testing.T) {
	for _, c := range []struct {
		verb, res, name, ns, group string
		want                       Attributes
		err                        bool
	}{
		{verb: "get", res: "pods", ns: "a", want: Attributes{Verb: "get", Resource: "pods", Namespace: "a"}},
		{verb: "create", res: "pods/exec", ns: "a", want: Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "a"}},
		{verb: "patch", res: "deployments.apps/scale", name: "web", want: Attributes{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Name: "web"}},
		{verb: "list", res: "certificatesigningrequests.certificates.k8s.io", want: Attributes{Verb: "list", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"}},
		{verb: "get", res: "/healthz", want: Attributes{Verb: "get", NonResource: true, Path: "/healthz"}},
		{verb: "get", res: "/healthz", ns: "a", err: true},
		{verb: "", res: "pods", err: true},
		{verb: "get", res: "a/b/c", err: true},
		{verb: "get", res: ".apps", err: true},
	} {
		got, err := ParseRequest(c.verb, c.res, c.name, c.ns, c.group)
		if (err != nil) != c.err || !c.err && got != c.want {
			t.Errorf("ParseRequest(%q, %q) = %+v, %v; want %+v, err %v", c.verb, c.res, got, err, c.want, c.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"alice", "sa:ns:app", "group:g", "system:serviceaccount:a:b", "pods/exec", "deployments.apps/scale", "/healthz", "user:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sub, err := ParseSubject(s); err == nil {
			if sub.Name == "" || sub.Kind == KindServiceAccount && sub.Namespace == "" {
				t.Fatalf("ParseSubject(%q) accepted %+v", s, sub)
			}
		}
		if a, err := ParseRequest("get", s, "", "", ""); err == nil {
			if !a.NonResource && (a.Resource == "" || strings.Contains(a.Subresource, "/")) {
				t.Fatalf("ParseRequest(%q) accepted %+v", s, a)
			}
		}
	})
}
