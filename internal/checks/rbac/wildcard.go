package rbac

import "github.com/kubeward/kubeward/internal/check"

// Wildcard reports roles that grant verbs "*", resources "*" (any group) and apiGroups "*" with any resource.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components, and
// bootstrap roles except through a binding in the scan, and */*/* rules
// given only through ClusterRoleBindings (rbac-cluster-admin-binding).
var Wildcard = permissionCheck(check.Meta{
	ID:        "rbac-wildcard",
	Title:     "Role uses wildcard verbs or resources",
	Rationale: "Wildcards grant every verb and resource the cluster serves now and every one added later (CRDs, subresources such as pods/exec).",
	Fix:       "List the verbs, groups and resources the holder needs.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV044"), check.Trivy("KSV045"), check.Trivy("KSV046"), check.KubeLinter("wildcard-in-rules"), check.Polaris("rolebindingClusterAdminClusterRole").Differs("cluster-admin bound in one namespace is reported as a wildcard grant there"), check.Polaris("rolebindingClusterAdminRole")},
},
	wildcardMatch,
	severities{cluster: check.High, namespaced: check.Medium, wildcards: true})

var wildcardMatch matcher = wildcard

func init() { check.Register(Wildcard) }
