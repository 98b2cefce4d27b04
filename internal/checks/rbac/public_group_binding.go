package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

// PublicGroupBinding reports bindings whose subjects are everybody:
// User system:anonymous, Group system:unauthenticated (critical: no
// credentials needed), Group system:authenticated (every user and every
// service account) and Group system:serviceaccounts (every pod).
//
// Reads: RoleBinding and ClusterRoleBinding subjects and roleRef, the
// role's rules. Allows: the bootstrap bindings (discovery, basic-user,
// public-info-viewer), bindings to roles that grant nothing, and for the
// authenticated groups, roles that only read (get, list, watch) things
// other than Secrets, or name removed resources (podsecuritypolicies).
var PublicGroupBinding = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-public-group-binding",
		Title:    "Role bound to anonymous, unauthenticated or all authenticated users",
		Severity: check.High,
		Category: check.CategoryRBAC,
		Rationale: "These subjects hold every caller: anonymous requests, or any user, any service account and any stolen " +
			"token of any pod. What they are bound to is public inside (or outside) the cluster.",
		Fix:   "Bind the groups or service accounts that need the access instead of the public groups.",
		Reads: []string{"RoleBinding subjects", "ClusterRoleBinding subjects"},
		Peers: []check.Peer{check.Kubescape("C-0262"), check.Kubescape("C-0265")},
		Refs:  append([]check.Reference{check.CIS("5.1.5", "Ensure that default service accounts are not actively used")}, references...),
	},
	Needs:     needs,
	Inventory: publicGroupBinding,
}

func init() { check.Register(PublicGroupBinding) }

func publicGroupBinding(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	writes := map[authz.ObjectRef]bool{}
	rules := map[authz.ObjectRef]int{}
	for _, rv := range m.Roles() {
		rules[rv.Ref] = len(rv.Rules)
		writes[rv.Ref] = grantsMoreThanPublicReads(rv.Rules)
	}
	var out []check.Result
	for _, b := range m.Bindings() {
		o := m.Objects[b.Ref]
		if o == nil || authz.IsBootstrap(b.Ref) && m.Cluster || rules[b.Role] == 0 {
			continue
		}
		for k, s := range b.Subjects {
			sev := check.SeverityUnknown
			switch {
			case s.Kind == authz.KindUser && s.Name == authz.UserAnonymous, s.Kind == authz.KindGroup && s.Name == authz.GroupUnauthenticated:
				sev = check.Critical
			case s.Kind == authz.KindGroup && (s.Name == authz.GroupAuthenticated || s.Name == authz.GroupServiceAccounts):
				if !writes[b.Role] {
					continue // public read of non-secret data is a deliberate pattern (cluster-info, pipelines-info)
				}
			default:
				continue
			}
			scope := "cluster-wide"
			if b.Namespace != "" {
				scope = "in namespace " + b.Namespace
			}
			out = append(out, check.Result{Object: o, Path: subjectPath(&b, k), Severity: sev,
				Message: fmt.Sprintf("%s gives %s to %s %s", b.Ref, b.Role, s, scope)})
		}
	}
	return out
}

// grantsMoreThanPublicReads reports whether rules grant anything beyond
// reading non-secret resources and non-resource URLs.
func grantsMoreThanPublicReads(rules []rbacv1.PolicyRule) bool {
	for i := range rules {
		r := &rules[i]
		if len(r.Resources) > 0 && allRemoved(r.Resources) {
			continue
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				return true
			}
		}
		if _, ok := grants(r, "", "secrets", "get", "list", "watch"); ok {
			return true
		}
	}
	return false
}

func allRemoved(resources []string) bool {
	for _, r := range resources {
		if r != "podsecuritypolicies" {
			return false
		}
	}
	return true
}
