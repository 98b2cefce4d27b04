package rbac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	authz "github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

// unboundResults reports the risky rules of a role of the input that no
// binding of the input gives to anybody, directly or through aggregation:
// a chart or an operator bundle that ships a ClusterRole bound elsewhere.
// Silence would hide the grant from the only review it gets; full severity
// would claim a holder nobody can name. So the rules are reported at low
// severity, saying the grant is not bound here. Bootstrap roles, aggregated
// rules (reported on their source) and, in a cluster (where the inventory
// is complete and an unbound role grants nothing), every role are left out.
func unboundResults(m *rbacinv.Model, cat *authz.Catalog, roles []authz.RoleView, rv *authz.RoleView, match matcher, sev severities) []check.Result {
	obj := m.Objects[rv.Ref]
	if obj == nil || m.Cluster {
		return nil
	}
	s := min(sev.cluster, check.Low)
	where := "no binding in this input gives the role out; judge the grant where the role is bound"
	if into := aggregatedInto(roles, rv.Ref.Name); len(into) > 0 && rv.Ref.Kind == "ClusterRole" {
		where = fmt.Sprintf("it is aggregated into %s, which no binding in this input gives out; judge the grant where that is bound", strings.Join(into, ", "))
	}
	var out []check.Result
	for ri := range rv.Rules {
		if ri < len(rv.From) && rv.From[ri] != "" {
			continue
		}
		rule, ok := scoped(cat, &rv.Rules[ri], rv.Ref.Namespace) // a Role never grants cluster-scoped resources
		if !ok {
			continue
		}
		what, ok := match(rule)
		if !ok || (!sev.wildcards && fullWildcard(&rv.Rules[ri])) {
			continue
		}
		if sev.requires != nil {
			with, ok := completion(m.Model, cat, rv, holders{}, sev.requires)
			if !ok {
				continue
			}
			what += " with " + with
		}
		out = append(out, check.Result{Object: obj, Path: fieldpath.New("rules").Index(ri), Severity: s, Cause: ruleCause(rv, ri), Facet: what,
			Message: fmt.Sprintf("%s grants %s; %s", rv.Ref, what, where)})
	}
	return out
}

// aggregatedInto names the ClusterRoles that copy rules of the named one.
func aggregatedInto(roles []authz.RoleView, name string) []string {
	var out []string
	for _, rv := range roles {
		if rv.Ref.Kind == "ClusterRole" && slices.Contains(rv.From, name) && !slices.Contains(out, rv.Ref.Name) {
			out = append(out, rv.Ref.Name)
		}
	}
	return out
}
