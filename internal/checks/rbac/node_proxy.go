package rbac

import "github.com/kubeward/kubeward/internal/check"

// NodeProxy reports roles that grant get or create on nodes/proxy.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with
// verbs and resources "*" (rbac-wildcard reports those once).
var NodeProxy = permissionCheck(check.Meta{
	ID:        "rbac-node-proxy",
	Title:     "Role grants nodes/proxy",
	Rationale: "nodes/proxy reaches the kubelet API, which runs commands in every pod of the node and is not seen by API server audit logs of the pods.",
	Fix:       "Remove nodes/proxy; monitoring agents need nodes/metrics and nodes/stats, not nodes/proxy.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV047")},
},
	nodeProxyMatch,
	severities{cluster: check.Critical, namespaced: check.Critical})

var nodeProxyMatch matcher = on("", "nodes/proxy", "get", "create")

func init() { check.Register(NodeProxy) }
