package rbac

import (
	"fmt"
	rbacv1 "k8s.io/api/rbac/v1"

	"strings"

	authz "github.com/kubeward/kubeward/internal/rbac"
)

// highRisks are the permissions that make an identity worth stealing:
// what the blast-radius checks look for in a service account's rights.
//
// local marks risks that are normal for an application inside its own
// namespace (an operator managing its Secrets and pods): they count only
// when granted cluster-wide or in another namespace.
//
// requires, when set, is the permission the risk needs as well, held
// cluster-wide (see severities.requires).
var highRisks = []struct {
	name     string
	match    matcher
	local    bool
	requires matcher
}{
	{"cluster-admin", func(r *rbacv1.PolicyRule) (string, bool) {
		a := authz.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
		return "every verb on every resource", authz.RuleAllows(&a, r)
	}, false, nil},
	{"escalate/bind", escalateBindMatch, false, nil},
	{"impersonate", impersonateMatch, false, nil},
	{"csr-approval", csrApprovalMatch, false, approveSigners},
	{"webhook-config", webhookConfigMatch, false, nil},
	{"node-proxy", nodeProxyMatch, false, nil},
	{"token-creation", tokenCreationMatch, true, nil},
	{"secrets-read", secretsReadMatch, true, nil},
	{"pod-exec", podExecMatch, true, nil},
	{"pod-creation", podCreationMatch, true, nil},
	{"pv-creation", pvCreationMatch, false, nil},
}

// heldRisk is one high risk an identity holds and the grant that gives it.
type heldRisk struct {
	name, what string
	grant      authz.Grant
}

// riskSummary lists the high risks u holds, each with the grant that gives
// it, most severe first; empty when none. ownNS is the namespace where
// local risks do not count; reading Secrets named in resourceNames never
// counts (that is least privilege).
func riskSummary(m *authz.Model, cat *authz.Catalog, u authz.UserInfo, ownNS string) []heldRisk {
	grants := m.Permissions(u)
	var out []heldRisk
	for _, risk := range highRisks {
		for i := range grants {
			if risk.local && grants[i].Namespace == ownNS && ownNS != "" {
				continue
			}
			if risk.name == "secrets-read" && len(grants[i].Rule.ResourceNames) > 0 {
				continue
			}
			rule, ok := scoped(cat, &grants[i].Rule, grants[i].Namespace)
			if !ok {
				continue
			}
			if what, ok := risk.match(rule); ok {
				if risk.requires != nil {
					if _, ok := clusterWide(grants, risk.requires); !ok {
						continue
					}
				}
				out = append(out, heldRisk{name: risk.name, what: what, grant: grants[i]})
				break
			}
		}
	}
	return out
}

// joinRisks says each risk with its grant: "get secrets cluster-wide
// (ClusterRoleBinding x)".
func joinRisks(rs []heldRisk) string {
	var ss []string
	for _, r := range rs {
		scope := "cluster-wide"
		if r.grant.Namespace != "" {
			scope = "in namespace " + r.grant.Namespace
		}
		ss = append(ss, r.what+" "+scope+" ("+r.grant.Binding.String()+")")
	}
	if len(ss) > 4 {
		ss = append(ss[:4:4], "...")
	}
	return strings.Join(ss, "; ")
}

// referRisks names the risks by the findings that report them, one per
// rule, instead of restating the rules: "secrets-read, pod-exec (the
// finding on ClusterRole x rules[0], through ClusterRoleBinding y)".
func referRisks(rs []heldRisk, cluster bool) string {
	var order []string
	names := map[string][]string{}
	for _, r := range rs {
		at := ruleFinding(r.grant, cluster)
		if _, ok := names[at]; !ok {
			order = append(order, at)
		}
		names[at] = append(names[at], r.name)
	}
	var ss []string
	for _, at := range order {
		ss = append(ss, strings.Join(names[at], ", ")+" ("+at+")")
	}
	return strings.Join(ss, "; ")
}

// ruleFinding names the finding that reports a grant's rule: the
// permission checks' on the role's rule, for an aggregated rule on the
// ClusterRole it was copied from, for a bootstrap role of a cluster on the
// binding (see permissionResults), and for every verb on every resource
// through a ClusterRoleBinding rbac-cluster-admin-binding's on the subject.
func ruleFinding(g authz.Grant, cluster bool) string {
	switch {
	case g.Binding.Kind == authz.PrivilegedGroupKind:
		return g.String()
	case g.Binding.Kind == "ClusterRoleBinding" && authz.RuleAllows(&adminAttrs, &g.Rule):
		return fmt.Sprintf("the finding on %s subjects[%d]", g.Binding, g.SubjectIndex)
	case g.From != "":
		return fmt.Sprintf("the finding on ClusterRole %s, aggregated into %s through %s", g.From, g.Role, g.Binding)
	case cluster && authz.IsBootstrap(g.Role):
		return fmt.Sprintf("the finding on %s roleRef.name", g.Binding)
	}
	return fmt.Sprintf("the finding on %s rules[%d], through %s", g.Role, g.RuleIndex, g.Binding)
}

// clusterWide finds a grant, given cluster-wide, that allows what match
// accepts, and says what it is and where it comes from.
func clusterWide(grants []authz.Grant, match matcher) (string, bool) {
	for i := range grants {
		g := &grants[i]
		if g.Namespace != "" {
			continue // a RoleBinding grants nothing on cluster-scoped resources
		}
		if what, ok := match(&g.Rule); ok {
			return what + " (" + g.Binding.String() + " -> " + g.Role.String() + ")", true
		}
	}
	return "", false
}
