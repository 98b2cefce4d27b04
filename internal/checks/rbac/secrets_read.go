package rbac

import "github.com/kubeward/kubeward/internal/check"

// SecretsRead reports roles that grant verbs get, list or watch on secrets (core group, or * groups/resources).
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var SecretsRead = permissionCheck(check.Meta{
	ID:        "rbac-secrets-read",
	Title:     "Role grants read access to Secrets",
	Rationale: "Secrets hold credentials, service-account tokens and TLS keys; list and watch return every value in the namespace, not just names.",
	Fix:       "Grant get on the named Secrets the workload needs (resourceNames), or mount them into the pod instead of reading them through the API.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV041").Differs("Trivy counts writes too; kubeward reports reads here and Secret creation under rbac-token-creation"), check.Kubescape("C-0015"), check.KubeLinter("access-to-secrets")},
	Refs:      append([]check.Reference{check.CIS("5.1.2", "Minimize access to secrets")}, references...),
},
	secretsReadMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var secretsReadMatch matcher = on("", "secrets", "get", "list", "watch")

func init() { check.Register(SecretsRead) }
