package rbac

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// TokenCreation reports roles that grant create on serviceaccounts/token, or create on secrets (a Secret of type kubernetes.io/service-account-token is filled with a token for the account it names).
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var TokenCreation = permissionCheck(check.Meta{
	ID:        "rbac-token-creation",
	Title:     "Role can mint service-account tokens",
	Rationale: "A token of another service account is that account's identity: whoever mints it holds all of its permissions.",
	Fix:       "Remove create on serviceaccounts/token and secrets; where a controller must create Secrets, keep it out of namespaces whose service accounts hold more rights than it does.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV041").Differs("Trivy's manage-secrets check; reads are rbac-secrets-read's")},
},
	tokenCreationMatch,
	severities{cluster: check.High, namespaced: check.High, lowerIf: func(what string) bool { return strings.HasPrefix(what, "create secrets") }})

var tokenCreationMatch matcher = anyOf(on("", "serviceaccounts/token", "create"), on("", "secrets", "create"))

func init() { check.Register(TokenCreation) }
