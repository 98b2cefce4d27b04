package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"strings"

	authz "github.com/kubeward/kubeward/internal/rbac"
)

// highRisks are the permissions that make an identity worth stealing:
// what the blast-radius checks look for in a service account's rights.
var highRisks = []struct {
	name  string
	match matcher
}{
	{"cluster-admin", func(r *rbacv1.PolicyRule) (string, bool) {
		a := authz.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
		return "every verb on every resource", authz.RuleAllows(&a, r)
	}},
	{"escalate/bind", escalateBindMatch},
	{"impersonate", impersonateMatch},
	{"csr-approval", cSRApprovalMatch},
	{"webhook-config", webhookConfigMatch},
	{"node-proxy", nodeProxyMatch},
	{"token-creation", tokenCreationMatch},
	{"secrets-read", secretsReadMatch},
	{"pod-exec", podExecMatch},
	{"pod-creation", podCreationMatch},
	{"pv-creation", pVCreationMatch},
}

// riskSummary lists the high risks u holds, each with the grant that gives
// it, most severe first; empty when none.
func riskSummary(m *authz.Model, u authz.UserInfo) []string {
	grants := m.Permissions(u)
	var out []string
	for _, risk := range highRisks {
		for i := range grants {
			if what, ok := risk.match(&grants[i].Rule); ok {
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
