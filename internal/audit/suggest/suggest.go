package suggest

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Options configure a suggestion.
type Options struct {
	// Subject is the identity: a User or a ServiceAccount.
	Subject rbac.Subject
	// Name names the generated roles and bindings (default
	// "kubeward-suggested-" and the identity).
	Name string
	// MaxNames is the most resourceNames a rule lists before it grants
	// all names instead (default 10).
	MaxNames int
	// IncludeImplicit also grants what every authenticated user (and every
	// service account) already has from the default roles: discovery,
	// health endpoints, self-reviews. Off by default: granting it again
	// only adds noise.
	IncludeImplicit bool
}

// Collector gathers one identity's requests from events. It implements
// event.Handler.
type Collector struct {
	o         Options
	user      string
	requests  map[request]struct{}
	denied    map[request]struct{}
	span      span
	events    int
	mine      int            // events of the identity
	users     map[string]int // user names seen (bounded), to suggest a misspelt one
	malformed []string
	implicit  *rbac.Model
}

// maxUsersSeen bounds the user names remembered for the "did you mean"
// hint of an identity with no events.
const maxUsersSeen = 10000

// NewCollector prepares a suggestion for o.Subject.
func NewCollector(o Options) (*Collector, error) {
	switch o.Subject.Kind {
	case rbac.KindUser:
		if o.Subject.Name == "" {
			return nil, fmt.Errorf("suggest: empty user name")
		}
	case rbac.KindServiceAccount:
		if o.Subject.Namespace == "" || o.Subject.Name == "" {
			return nil, fmt.Errorf("suggest: a service account needs a namespace and a name")
		}
	default:
		return nil, fmt.Errorf("suggest: subject must be a User or a ServiceAccount, not %s", o.Subject.Kind)
	}
	if o.MaxNames <= 0 {
		o.MaxNames = 10
	}
	user := o.Subject.Name
	if o.Subject.Kind == rbac.KindServiceAccount {
		user = rbac.ServiceAccountUsername(o.Subject.Namespace, o.Subject.Name)
	}
	if o.Name == "" {
		o.Name = "kubeward-suggested-" + dnsLabel(user)
	}
	c := &Collector{o: o, user: user, requests: map[request]struct{}{}, denied: map[request]struct{}{}, users: map[string]int{}}
	if !o.IncludeImplicit {
		in, err := rbac.WithBootstrap(rbac.Input{})
		if err != nil {
			return nil, fmt.Errorf("suggest: default roles: %w", err)
		}
		c.implicit = rbac.Build(in, rbac.Options{})
	}
	return c, nil
}

// Events records the requests of the identity: those authorized as it
// (its own and those of others impersonating it), and the impersonate
// checks of its own impersonating requests.
func (c *Collector) Events(evs []*event.Event, _ event.Pos) error {
	for _, ev := range evs {
		if !counted(ev) {
			continue
		}
		c.events++
		if _, ok := c.users[ev.User.Username]; ok || len(c.users) < maxUsersSeen {
			c.users[ev.User.Username]++
		}
		actor := ev.User.Username == c.user
		as := effective(ev).Name == c.user
		if !actor && !as {
			continue
		}
		c.mine++
		c.span.add(ev.Time())
		set := c.requests
		if !ev.Allowed() {
			set = c.denied
		}
		switch {
		case as && ev.Allowed():
			for _, a := range checked(ev) {
				set[a] = struct{}{}
			}
		case as:
			set[attributes(ev)] = struct{}{}
		}
		if actor && ev.ImpersonatedUser != nil {
			for _, r := range impersonationRequests(ev) {
				set[r] = struct{}{}
			}
		}
	}
	return nil
}

// Malformed remembers skipped input, to report it.
func (c *Collector) Malformed(err *event.ReadError) {
	if len(c.malformed) < 20 {
		c.malformed = append(c.malformed, err.Error())
	}
}

// Result is a suggestion.
type Result struct {
	Subject             rbac.Subject
	ClusterRoles        []*rbacv1.ClusterRole
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	Roles               []*rbacv1.Role
	RoleBindings        []*rbacv1.RoleBinding
	// Requests is the number of distinct authorized requests covered;
	// Implicit those left out because the default roles already allow
	// them; Denied the distinct requests RBAC refused (not granted).
	Requests, Implicit int
	Denied             []string
	// Events is the number of events read, Mine those of the identity
	// (zero: a misspelt or absent identity; Nearest is a user name seen
	// that is close to it, if any).
	Events, Mine int
	Nearest      string
	From, To     time.Time
	// Untimed counts the identity's events without a timestamp.
	Untimed   int
	Malformed []string
}

// implicitUser is the identity the default roles see for the subject:
// nameless, with only the groups every such identity has.
func (c *Collector) implicitUser() rbac.UserInfo {
	if c.o.Subject.Kind == rbac.KindServiceAccount {
		return rbac.UserInfo{Groups: []string{rbac.GroupServiceAccounts, "system:serviceaccounts:" + c.o.Subject.Namespace, rbac.GroupAuthenticated}}
	}
	return rbac.UserInfo{Groups: []string{rbac.GroupAuthenticated}}
}

// Result builds the roles and bindings.
func (c *Collector) Result() *Result {
	r := &Result{Subject: c.o.Subject, Events: c.events, Mine: c.mine, From: c.span.from, To: c.span.to, Untimed: c.span.untimed, Malformed: c.malformed}
	if c.mine == 0 {
		r.Nearest = rbac.Nearest(c.user, sortedKeys(c.users))
	}
	byScope := map[string][]request{} // namespace ("" cluster) -> requests
	iu := c.implicitUser()
	for req := range c.requests {
		if c.implicit != nil && c.implicit.Allowed(iu, req).Allowed {
			r.Implicit++
			continue
		}
		r.Requests++
		scope := req.Namespace
		if req.NonResource {
			scope = ""
		}
		byScope[scope] = append(byScope[scope], req)
	}
	subject := rbacv1.Subject{Kind: c.o.Subject.Kind, Name: c.o.Subject.Name, Namespace: c.o.Subject.Namespace}
	if subject.Kind == rbac.KindUser {
		subject.APIGroup = rbacv1.GroupName
	}
	for _, scope := range sortedKeys(byScope) {
		rules := c.rules(byScope[scope])
		if scope == "" {
			r.ClusterRoles = append(r.ClusterRoles, &rbacv1.ClusterRole{TypeMeta: typeMeta("ClusterRole"), ObjectMeta: c.meta(""), Rules: rules})
			r.ClusterRoleBindings = append(r.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{TypeMeta: typeMeta("ClusterRoleBinding"), ObjectMeta: c.meta(""),
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: c.o.Name}, Subjects: []rbacv1.Subject{subject}})
			continue
		}
		r.Roles = append(r.Roles, &rbacv1.Role{TypeMeta: typeMeta("Role"), ObjectMeta: c.meta(scope), Rules: rules})
		r.RoleBindings = append(r.RoleBindings, &rbacv1.RoleBinding{TypeMeta: typeMeta("RoleBinding"), ObjectMeta: c.meta(scope),
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: c.o.Name}, Subjects: []rbacv1.Subject{subject}})
	}
	// Denied requests the suggestion grants anyway (made again later and
	// allowed, or covered once names are merged) are not "denied and not
	// granted".
	granted := rbac.Build(rbac.Input{ClusterRoles: r.ClusterRoles, ClusterRoleBindings: r.ClusterRoleBindings, Roles: r.Roles, RoleBindings: r.RoleBindings}, rbac.Options{})
	u := rbac.UserInfoFor(c.o.Subject)
	for req := range c.denied {
		if _, later := c.requests[req]; later || granted.Allowed(u, req).Allowed {
			continue
		}
		r.Denied = append(r.Denied, req.String())
	}
	sort.Strings(r.Denied)
	return r
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: kind}
}

func (c *Collector) meta(ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: c.o.Name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeward"}}
}

// namesAllowed reports whether RBAC can restrict a verb on a resource by
// name: a create on a collection and deletecollection carry no name when
// authorized (the audit event may show the name from the body, which RBAC
// never saw).
func namesAllowed(r request) bool {
	return !(r.Verb == "create" && r.Subresource == "") && r.Verb != "deletecollection"
}

// rules turns one scope's requests into compact rules that allow exactly
// them: rules are merged only where the cross product of their verbs,
// groups, resources and names is still exactly what was used.
func (c *Collector) rules(reqs []request) []rbacv1.PolicyRule {
	type vkey struct{ group, resource, verb string }
	type names struct {
		set     map[string]bool
		unnamed bool
	}
	byVerb := map[vkey]*names{}
	nonResource := map[string]map[string]bool{} // path -> verbs
	for _, r := range reqs {
		if r.NonResource {
			if nonResource[r.Path] == nil {
				nonResource[r.Path] = map[string]bool{}
			}
			nonResource[r.Path][r.Verb] = true
			continue
		}
		res := r.Resource
		if r.Subresource != "" {
			res += "/" + r.Subresource
		}
		k := vkey{r.APIGroup, res, r.Verb}
		n := byVerb[k]
		if n == nil {
			n = &names{set: map[string]bool{}}
			byVerb[k] = n
		}
		if r.Name == "" || !namesAllowed(r) {
			n.unnamed = true
		} else {
			n.set[r.Name] = true
		}
	}
	// (group, resource, names) -> verbs
	type gkey struct{ group, resource, names string }
	verbs := map[gkey]map[string]bool{}
	for k, n := range byVerb {
		nk := ""
		if !n.unnamed && len(n.set) <= c.o.MaxNames {
			nk = strings.Join(sortedKeys(n.set), "\x00")
		}
		g := gkey{k.group, k.resource, nk}
		if verbs[g] == nil {
			verbs[g] = map[string]bool{}
		}
		verbs[g][k.verb] = true
	}
	// (group, names, verbs) -> resources
	type rkey struct{ group, names, verbs string }
	resources := map[rkey][]string{}
	for g, vs := range verbs {
		k := rkey{g.group, g.names, strings.Join(sortedKeys(vs), ",")}
		resources[k] = append(resources[k], g.resource)
	}
	// (names, verbs, resources) -> groups
	type fkey struct{ names, verbs, resources string }
	groups := map[fkey][]string{}
	for k, rs := range resources {
		sort.Strings(rs)
		f := fkey{k.names, k.verbs, strings.Join(rs, ",")}
		groups[f] = append(groups[f], k.group)
	}
	var out []rbacv1.PolicyRule
	for f, gs := range groups {
		sort.Strings(gs)
		rule := rbacv1.PolicyRule{APIGroups: gs, Resources: strings.Split(f.resources, ","), Verbs: strings.Split(f.verbs, ",")}
		if f.names != "" {
			rule.ResourceNames = strings.Split(f.names, "\x00")
		}
		out = append(out, rule)
	}
	// non-resource: paths with the same verbs share a rule
	byVerbs := map[string][]string{}
	for p, vs := range nonResource {
		k := strings.Join(sortedKeys(vs), ",")
		byVerbs[k] = append(byVerbs[k], p)
	}
	for vs, paths := range byVerbs {
		sort.Strings(paths)
		out = append(out, rbacv1.PolicyRule{NonResourceURLs: paths, Verbs: strings.Split(vs, ",")})
	}
	sort.Slice(out, func(i, j int) bool { return ruleKey(&out[i]) < ruleKey(&out[j]) })
	return out
}

func ruleKey(r *rbacv1.PolicyRule) string {
	return strings.Join(r.APIGroups, ",") + "|" + strings.Join(r.Resources, ",") + "|" + strings.Join(r.NonResourceURLs, ",") + "|" +
		strings.Join(r.ResourceNames, ",") + "|" + strings.Join(r.Verbs, ",")
}

// YAML renders the objects as a multi-document manifest with a header
// saying what they cover.
func (r *Result) YAML() ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# kubeward rbac suggest for %s: %d distinct authorized requests in %d events, %s.\n", r.Subject, r.Requests, r.Mine, spanText(r.From, r.To, r.Untimed, r.Mine))
	if r.Implicit > 0 {
		fmt.Fprintf(&b, "# %d more are allowed to every authenticated identity by the default roles and are not repeated.\n", r.Implicit)
	}
	if len(r.Denied) > 0 {
		fmt.Fprintf(&b, "# %d requests were denied and are not granted:\n", len(r.Denied))
		for i, d := range r.Denied {
			if i == 20 {
				fmt.Fprintf(&b, "#   ... and %d more\n", len(r.Denied)-20)
				break
			}
			fmt.Fprintf(&b, "#   %s\n", d)
		}
	}
	var objs []any
	for _, o := range r.ClusterRoles {
		objs = append(objs, o)
	}
	for _, o := range r.ClusterRoleBindings {
		objs = append(objs, o)
	}
	for _, o := range r.Roles {
		objs = append(objs, o)
	}
	for _, o := range r.RoleBindings {
		objs = append(objs, o)
	}
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(removeCreationTimestamp(y))
	}
	return []byte(b.String()), nil
}

// removeCreationTimestamp drops the null timestamp metav1 serialises.
func removeCreationTimestamp(y []byte) []byte {
	return []byte(strings.Replace(string(y), "  creationTimestamp: null\n", "", 1))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// dnsLabel turns an identity into a name part: "system:serviceaccount:ci:
// deployer" -> "system-serviceaccount-ci-deployer".
func dnsLabel(s string) string {
	s = strings.Trim(notDNS.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
