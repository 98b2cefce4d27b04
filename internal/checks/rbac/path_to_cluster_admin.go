package rbac

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

// PathToClusterAdmin reports subjects that are not cluster-admin but can
// become it in steps: run a pod as a more privileged service account, exec
// into one, mint or read its token, impersonate, bind or escalate, approve
// a client certificate (internal/rbac escalation graph). Each step names
// the finding on the rule that allows it rather than restating the rule.
//
// Reads: every Role, ClusterRole, binding, ServiceAccount, workload (its
// service account) and service-account token Secret. Allows: system
// components, and subjects that are cluster-admin directly (reported by
// rbac-cluster-admin-binding).
var PathToClusterAdmin = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-path-to-cluster-admin",
		Title:    "Subject has an escalation path to cluster-admin",
		Severity: check.High,
		Category: check.CategoryRBAC,
		Rationale: "Permissions compose: a subject that can act as a more privileged identity holds that identity's " +
			"rights, whatever its own role says.",
		Fix:   "Break the first step of the path: remove the permission it uses, or move the privileged service account out of the namespace.",
		Reads: []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "spec.serviceAccountName", "Secret type"},
		Refs:  references,
	},
	Needs:     needs,
	Inventory: pathToClusterAdmin,
}

func init() { check.Register(PathToClusterAdmin) }

func pathToClusterAdmin(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	g := graph(ctx, inv)
	var out []check.Result
	done := map[authz.Subject]bool{}
	for _, b := range m.Bindings() {
		o := m.Objects[b.Ref]
		if o == nil {
			continue
		}
		for k, s := range b.Subjects {
			if done[s] || exempt(ctx, s) {
				continue
			}
			done[s] = true
			p := g.PathToAdmin(s)
			if p == nil || len(p.Steps) < 2 && p.Steps[0].To == authz.AdminTarget && strings.HasPrefix(p.Steps[0].Action, "holds every verb") {
				continue
			}
			var steps []string
			for _, st := range p.Steps {
				ev := ""
				if len(st.Grants) > 0 {
					ev = " [" + ruleFinding(st.Grants[0], m.Cluster) + "]"
				}
				steps = append(steps, strings.TrimPrefix(st.Sentence(), st.From.String()+" ")+ev)
			}
			out = append(out, check.Result{Object: o, Path: subjectPath(&b, k),
				Message: fmt.Sprintf("%s can become cluster-admin in %d steps: %s", s, len(p.Steps), strings.Join(steps, " -> "))})
		}
	}
	return out
}
