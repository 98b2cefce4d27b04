package rbac

import (
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

// riskSummary lists the high risks u holds, each with the grant that gives
// it, most severe first; empty when none. ownNS is the namespace where
// local risks do not count; reading Secrets named in resourceNames never
// counts (that is least privilege).
func riskSummary(m *authz.Model, cat *authz.Catalog, u authz.UserInfo, ownNS string) []string {
	grants := m.Permissions(u)
	var out []string
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
				scope := "cluster-wide"
				if grants[i].Namespace != "" {
					scope = "in namespace " + grants[i].Namespace
				}
				out = append(out, what+" "+scope+" ("+grants[i].Binding.String()+")")
				break
			}
		}
	}
	return out
}

func joinRisks(rs []string) string {
	if len(rs) > 4 {
		rs = append(rs[:4:4], "...")
	}
	return strings.Join(rs, "; ")
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
