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
