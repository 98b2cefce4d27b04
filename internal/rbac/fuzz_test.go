package rbac

import (
	"encoding/json"
	"testing"
)

// FuzzBuild feeds arbitrary RBAC objects (as JSON) to the model: building,
// answering, listing and the escalation graph must never panic.
func FuzzBuild(f *testing.F) {
	for seed := uint64(1); seed <= 4; seed++ {
		b, _ := json.Marshal(genWorld(seed))
		f.Add(b)
	}
	f.Add([]byte(`{"clusterRoles":[{"metadata":{"name":"a","labels":{"x":"y"}},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]}}]}`))
	f.Add([]byte(`{"roleBindings":[{"metadata":{"name":"b"},"roleRef":{"kind":"Role","name":""},"subjects":[{"kind":"ServiceAccount","name":""}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w World
		if json.Unmarshal(data, &w) != nil {
			return
		}
		if len(w.ClusterRoles)+len(w.Roles)+len(w.ClusterRoleBindings)+len(w.RoleBindings) > 200 {
			return
		}
		m := Build(w.input(), Options{})
		_ = m.Problems()
		u := UserInfo{Name: "system:serviceaccount:a:b", Groups: []string{"x", GroupAuthenticated}}
		for _, a := range []Attributes{{Verb: "get", Resource: "pods", Namespace: "a"}, {Verb: "get", NonResource: true, Path: "/x"}, adminAttrs} {
			m.Allowed(u, a)
			m.WhoCan(a)
		}
		m.Permissions(u)
		m.Roles()
		if c, err := DefaultCatalog(); err == nil {
			m.UnknownNames(c)
		}
		g := m.Escalation()
		g.AdminPaths()
	})
}

// FuzzParseRequest drives what rbac can and who-can do with their
// arguments: ParseRequest, then Resolve against the default catalog. It
// must not panic, and a resolved request names a resource when the parsed
// one did.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"deploy", "pods/exec", "deployments.v1.apps/scale", "secrets/db", "Deployment", "*", "/healthz",
		"ev", "widgets.example.com/status", ".apps", "a.b.c.d/e", "pods/"} {
		f.Add("get", s, "", "shop", "")
	}
	c, err := DefaultCatalog()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, verb, resource, name, namespace, group string) {
		a, err := ParseRequest(verb, resource, name, namespace, group)
		if err != nil {
			return
		}
		got, _ := c.Resolve(a)
		if !a.NonResource && got.Resource == "" {
			t.Fatalf("%+v resolved to no resource: %+v", a, got)
		}
		_ = got.String()
	})
}
