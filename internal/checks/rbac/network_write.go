package rbac

import "github.com/kubeward/kubeward/internal/check"

// NetworkWrite reports roles that grant create, update, patch, delete or
// deletecollection on what routes and isolates traffic: Services,
// Endpoints, EndpointSlices, NetworkPolicies, Ingresses and the Gateway
// API's Gateways and routes.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with verbs
// and resources "*" (rbac-wildcard reports those once).
var NetworkWrite = permissionCheck(check.Meta{
	ID:    "rbac-network-write",
	Title: "Role can redirect traffic or remove network isolation",
	Rationale: "Whoever writes Services, Endpoints or EndpointSlices decides which pods receive a service's traffic " +
		"(and its credentials); whoever writes Ingresses or Gateway routes decides where outside traffic for a host " +
		"goes; whoever deletes or edits NetworkPolicies switches isolation off for lateral movement.",
	Fix: "Leave traffic routing and NetworkPolicies to the deployment pipeline and cluster administrators; " +
		"grant applications read access (get, list, watch) only.",
	Reads: []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Refs: append([]check.Reference{check.MITRE("T1557", "Adversary-in-the-Middle"),
		check.MITRE("T1562.001", "Impair Defenses: Disable or Modify Tools")}, references...),
	Peers: []check.Peer{check.Trivy("KSV056")},
},
	networkWriteMatch,
	severities{cluster: check.High, namespaced: check.Medium})

var networkWriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

var networkWriteMatch matcher = anyOf(
	on("", "services", networkWriteVerbs...),
	on("", "endpoints", networkWriteVerbs...),
	on("discovery.k8s.io", "endpointslices", networkWriteVerbs...),
	on("networking.k8s.io", "networkpolicies", networkWriteVerbs...),
	on("networking.k8s.io", "ingresses", networkWriteVerbs...),
	on("extensions", "ingresses", networkWriteVerbs...),
	on("extensions", "networkpolicies", networkWriteVerbs...),
	on("gateway.networking.k8s.io", "gateways", networkWriteVerbs...),
	on("gateway.networking.k8s.io", "httproutes", networkWriteVerbs...),
	on("gateway.networking.k8s.io", "tlsroutes", networkWriteVerbs...),
	on("gateway.networking.k8s.io", "grpcroutes", networkWriteVerbs...),
)

func init() { check.Register(NetworkWrite) }
