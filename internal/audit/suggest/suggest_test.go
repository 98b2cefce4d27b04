package suggest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/rbac"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func feed(t testing.TB, h event.Handler, es ...*audittest.E) {
	t.Helper()
	dec := event.NewDecoder(event.Limits{})
	for _, e := range es {
		evs, err := dec.Decode(e.JSON())
		if err != nil {
			t.Fatal(err)
		}
		h.Events(evs, event.Pos{})
	}
}

// model builds the RBAC model of a suggestion, so the real authorizer
// semantics judge it.
func model(r *Result) *rbac.Model {
	return rbac.Build(rbac.Input{ClusterRoles: r.ClusterRoles, ClusterRoleBindings: r.ClusterRoleBindings, Roles: r.Roles, RoleBindings: r.RoleBindings}, rbac.Options{})
}

var dev = rbac.Subject{Kind: rbac.KindUser, Name: "dev"}

func TestSuggestCoversExactlyWhatWasDone(t *testing.T) {
	c, err := NewCollector(Options{Subject: dev})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c,
		audittest.New("dev", "get").On("", "pods", "shop", "web-1"),
		audittest.New("dev", "get").On("", "pods", "shop", "web-2"),
		audittest.New("dev", "list").On("", "pods", "shop", ""),
		audittest.New("dev", "get").On("", "pods/log", "shop", "web-1"),
		audittest.New("dev", "create").On("", "configmaps", "shop", "cfg"), // name from the body: not usable
		audittest.New("dev", "patch").On("apps", "deployments", "shop", "web"),
		audittest.New("dev", "get").On("apps", "deployments", "shop", "web"),
		audittest.New("dev", "list").On("", "nodes", "", ""),
		audittest.New("dev", "list").On("", "secrets", "", ""), // all namespaces: cluster role
		audittest.New("dev", "get").URI("/metrics"),
		audittest.New("dev", "get").URI("/apis"), // discovery: every user has it
		audittest.New("dev", "get").On("", "secrets", "prod", "x").Code(403),
		audittest.New("other", "delete").On("", "pods", "shop", "web-1"),
		audittest.New("admin", "get").On("", "services", "shop", "api").As("dev", "system:authenticated"),
	)
	r := c.Result()
	if r.Implicit != 1 || len(r.Denied) != 1 || r.Requests != 11 {
		t.Errorf("requests %d implicit %d denied %v", r.Requests, r.Implicit, r.Denied)
	}
	m := model(r)
	u := rbac.UserInfoFor(dev)
	for _, want := range []struct {
		a  rbac.Attributes
		ok bool
	}{
		{rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "shop", Name: "web-1"}, true},
		{rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "shop", Name: "web-3"}, false},
		{rbac.Attributes{Verb: "list", Resource: "pods", Namespace: "shop"}, true},
		{rbac.Attributes{Verb: "list", Resource: "pods", Namespace: "prod"}, false},
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "shop", Name: "web-1"}, true},
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "web-1"}, false},
		{rbac.Attributes{Verb: "create", Resource: "configmaps", Namespace: "shop"}, true},
		{rbac.Attributes{Verb: "delete", Resource: "configmaps", Namespace: "shop", Name: "cfg"}, false},
		{rbac.Attributes{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "shop", Name: "web"}, true},
		{rbac.Attributes{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "shop", Name: "api"}, false},
		{rbac.Attributes{Verb: "list", Resource: "nodes"}, true},
		{rbac.Attributes{Verb: "list", Resource: "secrets"}, true},
		{rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "prod", Name: "x"}, false},
		{rbac.Attributes{Verb: "get", NonResource: true, Path: "/metrics"}, true},
		{rbac.Attributes{Verb: "get", Resource: "services", Namespace: "shop", Name: "api"}, true},
	} {
		if got := m.Allowed(u, want.a).Allowed; got != want.ok {
			t.Errorf("%s: allowed %v, want %v", want.a, got, want.ok)
		}
	}
	y, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(y)
	for _, want := range []string{"kind: ClusterRole\n", "kind: ClusterRoleBinding\n", "kind: Role\n", "namespace: shop", "name: kubeward-suggested-dev",
		"1 requests were denied", "- web-1\n  - web-2"} {
		if !strings.Contains(s, want) {
			t.Errorf("YAML lacks %q:\n%s", want, s)
		}
	}
	for _, doc := range strings.Split(s, "---\n")[1:] {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj["kind"] == nil {
			t.Errorf("document %q: %v", doc, err)
		}
	}
}

func TestSuggestServiceAccountAndImpersonation(t *testing.T) {
	sa := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: "ci", Name: "deployer"}
	c, err := NewCollector(Options{Subject: sa, Name: "deployer"})
	if err != nil {
		t.Fatal(err)
	}
	user := "system:serviceaccount:ci:deployer"
	feed(t, c,
		audittest.New(user, "get").On("", "configmaps", "prod", "app").As("alice", "devs", "system:authenticated"),
		audittest.New(user, "get").On("", "pods", "prod", "p").As("system:serviceaccount:prod:app", "system:serviceaccounts", "system:serviceaccounts:prod", "system:authenticated"),
	)
	r := c.Result()
	m := model(r)
	u := rbac.UserInfoFor(sa)
	for _, want := range []struct {
		a  rbac.Attributes
		ok bool
	}{
		{rbac.Attributes{Verb: "impersonate", Resource: "users", Name: "alice"}, true},
		{rbac.Attributes{Verb: "impersonate", Resource: "users", Name: "bob"}, false},
		{rbac.Attributes{Verb: "impersonate", Resource: "groups", Name: "devs"}, true},
		{rbac.Attributes{Verb: "impersonate", Resource: "groups", Name: "system:authenticated"}, false},
		{rbac.Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: "prod", Name: "app"}, true},
		// the impersonated identities' requests are theirs, not the SA's
		{rbac.Attributes{Verb: "get", Resource: "configmaps", Namespace: "prod", Name: "app"}, false},
	} {
		if got := m.Allowed(u, want.a).Allowed; got != want.ok {
			t.Errorf("%s: allowed %v, want %v", want.a, got, want.ok)
		}
	}
	if len(r.RoleBindings) != 1 || r.RoleBindings[0].Subjects[0].Kind != "ServiceAccount" || r.RoleBindings[0].Subjects[0].Namespace != "ci" {
		t.Errorf("bindings %+v", r.RoleBindings)
	}
	if _, err := NewCollector(Options{Subject: rbac.Subject{Kind: rbac.KindGroup, Name: "g"}}); err == nil {
		t.Error("group subject accepted")
	}
}

// The suggestion allows every recorded request, and anything else it
// allows is explained: a verb and resource with a request without name,
// with more names than MaxNames, or a create or deletecollection (which
// RBAC cannot limit by name), in the same namespace or cluster-wide (a
// cluster-wide request needs a ClusterRoleBinding, which also applies in
// every namespace).
func TestSuggestExactnessProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	type res struct{ group, resource, sub string }
	resources := []res{{"", "pods", ""}, {"", "pods", "log"}, {"", "pods", "exec"}, {"apps", "deployments", ""}, {"apps", "deployments", "scale"}, {"", "nodes", ""}, {"batch", "jobs", ""}}
	namespaces := []string{"", "a", "b"}
	names := []string{"", "x", "y", "z"}
	for round := range 200 {
		c, _ := NewCollector(Options{Subject: dev, MaxNames: 2, IncludeImplicit: true})
		recorded := map[rbac.Attributes]bool{}
		var es []*audittest.E
		for range 1 + r.IntN(12) {
			rs := resources[r.IntN(len(resources))]
			a := rbac.Attributes{Verb: verbs[r.IntN(len(verbs))], APIGroup: rs.group, Resource: rs.resource, Subresource: rs.sub,
				Namespace: namespaces[r.IntN(len(namespaces))], Name: names[r.IntN(len(names))]}
			recorded[a] = true
			sub := rs.resource
			if rs.sub != "" {
				sub += "/" + rs.sub
			}
			es = append(es, audittest.New("dev", a.Verb).On(a.APIGroup, sub, a.Namespace, a.Name))
		}
		feed(t, c, es...)
		m := model(c.Result())
		u := rbac.UserInfoFor(dev)
		for _, v := range verbs {
			for _, rs := range resources {
				for _, ns := range namespaces {
					for _, n := range names {
						a := rbac.Attributes{Verb: v, APIGroup: rs.group, Resource: rs.resource, Subresource: rs.sub, Namespace: ns, Name: n}
						allowed := m.Allowed(u, a).Allowed
						if recorded[a] && !allowed {
							t.Fatalf("round %d: recorded %s denied", round, a)
						}
						if allowed && !recorded[a] && !explained(a, recorded) {
							t.Fatalf("round %d: %s allowed but never done (recorded %v)", round, a, keys(recorded))
						}
					}
				}
			}
		}
	}
}

func explained(a rbac.Attributes, recorded map[rbac.Attributes]bool) bool {
	if a.Verb == "create" && a.Subresource == "exec" {
		// The API server also checks create for a get (WebSocket) of
		// pods/exec: the suggestion grants it with every get.
		g := a
		g.Verb = "get"
		if recorded[g] || explained(g, recorded) {
			return true
		}
	}
	seen := map[string]map[string]bool{}
	for r := range recorded {
		if r.Verb != a.Verb || r.APIGroup != a.APIGroup || r.Resource != a.Resource || r.Subresource != a.Subresource ||
			(r.Namespace != a.Namespace && r.Namespace != "") {
			continue
		}
		if r.Name == "" || !namesAllowed(r) {
			return true
		}
		if r.Name == a.Name {
			return true
		}
		if seen[r.Namespace] == nil {
			seen[r.Namespace] = map[string]bool{}
		}
		seen[r.Namespace][r.Name] = true
	}
	for _, names := range seen {
		if len(names) > 2 {
			return true
		}
	}
	return false
}

func keys(m map[rbac.Attributes]bool) []string {
	var out []string
	for a := range m {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

func TestUnused(t *testing.T) {
	in, err := rbac.WithBootstrap(rbac.Input{
		ClusterRoles: []*rbacv1ClusterRole{clusterRole("reader", `[{"apiGroups":[""],"resources":["pods","secrets"],"verbs":["get","list"]}]`),
			clusterRole("deployer", `[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["*"]},{"apiGroups":[""],"resources":["configmaps"],"verbs":["delete"]}]`)},
		ClusterRoleBindings: []*rbacv1ClusterRoleBinding{crb("reader", "reader", "User", "dev"), crb("deployer", "deployer", "ServiceAccount", "ci/deployer")},
		RoleBindings:        []*rbacv1RoleBinding{rb("shop", "ops-read", "reader", "Group", "ops")},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := rbac.Build(in, rbac.Options{})
	u := NewUsage()
	feed(t, u,
		audittest.New("dev", "get").On("", "pods", "shop", "p"),
		audittest.New("dev", "list").On("", "pods", "", ""),
		audittest.New("system:serviceaccount:ci:deployer", "patch").On("apps", "deployments", "shop", "web"),
		audittest.New("dev", "get").On("", "secrets", "shop", "s").Code(403), // denied: not a use
	)
	rep := u.Unused(m, UnusedOptions{})
	got := map[string]string{}
	for _, g := range rep.Grants {
		got[g.Subject.String()+" "+g.Binding.String()+" "+fmt.Sprint(g.RuleIndex)] = g.Status + " " + strings.Join(g.Unused, ",")
	}
	want := map[string]string{
		"User dev ClusterRoleBinding reader 0":                     "partly used get secrets,list secrets",
		"ServiceAccount ci/deployer ClusterRoleBinding deployer 1": "unused ",
		"Group ops RoleBinding shop/ops-read 0":                    "unused ",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if rep.Events != 3 {
		t.Errorf("events %d", rep.Events)
	}
	// Only one subject: dev, and the ops group once dev is seen in it.
	rep = u.Unused(m, UnusedOptions{Subject: &dev})
	if len(rep.Grants) != 1 || rep.Grants[0].Subject != dev {
		t.Errorf("for dev: %+v", rep.Grants)
	}
	feed(t, u, audittest.New("dev", "get").On("", "pods", "shop", "p").Groups("ops", "system:authenticated"))
	rep = u.Unused(m, UnusedOptions{Subject: &dev})
	if len(rep.Grants) != 2 {
		t.Errorf("for dev in group ops: %+v", rep.Grants)
	}
}

// A WebSocket exec is a get of pods/exec, which Kubernetes 1.35+ also
// authorizes as create before connecting: a suggestion of get alone would
// break kubectl exec.
func TestSuggestWebSocketExecAddsCreate(t *testing.T) {
	c, err := NewCollector(Options{Subject: dev})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c,
		audittest.New("dev", "get").On("", "pods/exec", "shop", "web").Code(101),       // WebSocket
		audittest.New("dev", "get").On("", "pods/portforward", "shop", "db").Code(101), // WebSocket
		audittest.New("dev", "create").On("", "pods/attach", "shop", "web").Code(101),  // SPDY
		audittest.New("dev", "get").On("", "pods/log", "shop", "web"),                  // not a stream
		audittest.New("dev", "get").On("", "pods/exec", "shop", "other").Code(403),     // denied: not granted
	)
	m := model(c.Result())
	u := rbac.UserInfoFor(dev)
	for _, tc := range []struct {
		a  rbac.Attributes
		ok bool
	}{
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "web"}, true},
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "portforward", Namespace: "shop", Name: "db"}, true},
		{rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "attach", Namespace: "shop", Name: "web"}, true},
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "attach", Namespace: "shop", Name: "web"}, false},
		{rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "log", Namespace: "shop", Name: "web"}, false},
		{rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "other"}, false},
	} {
		// CanDo: what goes through, with the API server's create check.
		if got := m.CanDo(u, tc.a).Allowed; got != tc.ok {
			t.Errorf("%s: goes through %v, want %v", tc.a, got, tc.ok)
		}
	}
}

// The header's "denied and not granted" list names only what stays
// denied: a request denied first and allowed later, or one the suggestion
// grants anyway, is not in it.
func TestSuggestDeniedListOmitsGranted(t *testing.T) {
	c, err := NewCollector(Options{Subject: dev, MaxNames: 2})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c,
		audittest.New("dev", "get").On("", "secrets", "shop", "db").Code(403).At(0),
		audittest.New("dev", "get").On("", "secrets", "shop", "db").At(time.Minute), // allowed after a new binding
		audittest.New("dev", "get").On("", "configmaps", "shop", "a"),
		audittest.New("dev", "get").On("", "configmaps", "shop", "b"),
		audittest.New("dev", "get").On("", "configmaps", "shop", "c"),
		audittest.New("dev", "get").On("", "configmaps", "shop", "d").Code(403), // more than MaxNames: all names granted
		audittest.New("dev", "delete").On("", "pods", "shop", "web").Code(403),  // stays denied
	)
	r := c.Result()
	if fmt.Sprint(r.Denied) != "[delete pods web in namespace shop]" {
		t.Errorf("denied and not granted: %v", r.Denied)
	}
	y, err := r.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "# 1 requests were denied and are not granted:\n#   delete pods web in namespace shop\n") {
		t.Errorf("header:\n%s", y)
	}
}

// An identity with no event in the log (a misspelt name) is visible as
// such, with the nearest name seen.
func TestSuggestUnknownSubject(t *testing.T) {
	c, err := NewCollector(Options{Subject: rbac.Subject{Kind: rbac.KindUser, Name: "alcie"}})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c, audittest.New("alice", "get").On("", "pods", "shop", "web"), audittest.New("bob", "get").On("", "pods", "shop", "web"))
	r := c.Result()
	if r.Events != 2 || r.Mine != 0 || r.Nearest != "alice" {
		t.Errorf("events %d mine %d nearest %q", r.Events, r.Mine, r.Nearest)
	}
}

// Events without timestamps still give a time span, in words.
func TestSpanWithoutTimestamps(t *testing.T) {
	untimed := func(e *audittest.E) *audittest.E {
		e.RequestReceivedTimestamp, e.StageTimestamp = metav1.MicroTime{}, metav1.MicroTime{}
		return e
	}
	c, _ := NewCollector(Options{Subject: dev})
	feed(t, c, untimed(audittest.New("dev", "get").On("", "pods", "shop", "web")))
	y, err := c.Result().YAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "1 distinct authorized requests in 1 events, time span unknown: none of the 1 events has a timestamp") {
		t.Errorf("header:\n%s", y)
	}
	u := NewUsage()
	feed(t, u, untimed(audittest.New("dev", "get").On("", "pods", "shop", "web")), audittest.New("dev", "list").On("", "pods", "shop", "").At(time.Hour))
	rep := u.Unused(rbac.Build(rbac.Input{}, rbac.Options{}), UnusedOptions{})
	if rep.Untimed != 1 || !strings.Contains(rep.Span, "and 1 events without a timestamp") {
		t.Errorf("span %q untimed %d", rep.Span, rep.Untimed)
	}
}

// Requests made in system:masters never reach RBAC: the identity's own
// grants look unused, and the report says why.
func TestUnusedSystemMasters(t *testing.T) {
	in, err := rbac.WithBootstrap(rbac.Input{
		ClusterRoles:        []*rbacv1ClusterRole{clusterRole("reader", `[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]`)},
		ClusterRoleBindings: []*rbacv1ClusterRoleBinding{crb("reader", "reader", "User", "root"), crb("dev-reader", "reader", "User", "dev")},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUsage()
	feed(t, u, audittest.New("root", "get").On("", "pods", "shop", "web").Groups("system:masters", "system:authenticated"))
	rep := u.Unused(rbac.Build(in, rbac.Options{}), UnusedOptions{})
	notes := map[string]string{}
	for _, g := range rep.Grants {
		notes[g.Subject.Name] = g.Note
	}
	if !strings.Contains(notes["root"], "system:masters") || notes["dev"] != "" || fmt.Sprint(rep.Masters) != "[root]" {
		t.Errorf("notes %q, masters %v", notes, rep.Masters)
	}
}

// A WebSocket exec (a get of pods/exec) is also authorized as create
// (Kubernetes 1.35+): the create rule is used, and reporting it unused
// would invite removing what kubectl exec needs.
func TestUnusedWebSocketExecUsesCreate(t *testing.T) {
	in, err := rbac.WithBootstrap(rbac.Input{
		ClusterRoles: []*rbacv1ClusterRole{clusterRole("debug", `[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["get"]},`+
			`{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]},{"apiGroups":[""],"resources":["pods/attach"],"verbs":["create"]}]`)},
		ClusterRoleBindings: []*rbacv1ClusterRoleBinding{crb("debug", "debug", "User", "dev")},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUsage()
	feed(t, u, audittest.New("dev", "get").On("", "pods/exec", "shop", "web").Code(101))
	rep := u.Unused(rbac.Build(in, rbac.Options{}), UnusedOptions{})
	var got []string
	for _, g := range rep.Grants {
		got = append(got, fmt.Sprint(g.RuleIndex)+" "+g.Status)
	}
	if fmt.Sprint(got) != "[2 unused]" {
		t.Errorf("grants reported: %v, want only the attach rule unused", got)
	}
}
