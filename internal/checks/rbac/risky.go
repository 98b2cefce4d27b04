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
var highRisks = []struct {
	name  string
	match matcher
	local bool
}{
	{"cluster-admin", func(r *rbacv1.PolicyRule) (string, bool) {
		a := authz.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
		return "every verb on every resource", authz.RuleAllows(&a, r)
	}, false},
	{"escalate/bind", escalateBindMatch, false},
	{"impersonate", impersonateMatch, false},
	{"csr-approval", csrApprovalMatch, false},
	{"webhook-config", webhookConfigMatch, false},
	{"node-proxy", nodeProxyMatch, false},
	{"token-creation", tokenCreationMatch, true},
	{"secrets-read", secretsReadMatch, true},
	{"pod-exec", podExecMatch, true},
	{"pod-creation", podCreationMatch, true},
	{"pv-creation", pvCreationMatch, false},
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
