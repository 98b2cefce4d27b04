package rbac

import (
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
	rbacv1 "k8s.io/api/rbac/v1"
)

// criticalConfigMaps configure the cluster itself from kube-system: EKS's
// aws-auth maps cloud identities to Kubernetes users and groups (among
// them system:masters), CoreDNS's Corefile decides where every name of
// the cluster resolves, and kube-proxy's configuration how Services route.
var criticalConfigMaps = []string{"aws-auth", "coredns", "kube-proxy", "kubeadm-config", "cluster-info"}

// ConfigMapWrite reports roles that grant create, update, patch, delete or
// deletecollection on ConfigMaps.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with verbs
// and resources "*" (rbac-wildcard reports those once). Severity follows the
// reach: high cluster-wide or in a system namespace (medium for names of
// its own there), critical when the rule names aws-auth, coredns or another
// ConfigMap that configures the cluster, low in an application namespace;
// a rule that only creates is one level lower (it cannot overwrite the
// ConfigMaps the cluster reads).
var ConfigMapWrite = permissionCheck(check.Meta{
	ID:    "rbac-configmap-write",
	Title: "Role can write ConfigMaps",
	Rationale: "ConfigMaps carry configuration that code trusts. In kube-system they configure the cluster: " +
		"editing EKS's aws-auth maps any cloud identity to system:masters, editing CoreDNS's Corefile sends " +
		"every service name to an attacker (kubescape's CoreDNS poisoning). Elsewhere, changing an " +
		"application's configuration changes what it runs and where it sends data.",
	Fix: "Grant write access to ConfigMaps only in the namespaces and to the names (resourceNames) a " +
		"controller manages; keep kube-system ConfigMaps to cluster administrators (on EKS, prefer access entries to aws-auth).",
	Reads: []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Refs: append([]check.Reference{check.MITRE("T1098", "Account Manipulation"),
		check.MITRE("T1565.001", "Data Manipulation: Stored Data Manipulation")}, references...),
	Peers: []check.Peer{check.Trivy("KSV049"), check.Kubescape("C-0037").Differs("kubescape reports update and patch on ConfigMaps of kube-system only; kubeward reports every namespace, at high severity for kube-system")},
},
	configMapWriteMatch,
	severities{cluster: check.High, namespaced: check.Low, named: check.Low, adjust: configMapSeverity,
		// create cannot overwrite an existing ConfigMap such as aws-auth
		lowerIf: func(what string) bool { return strings.HasPrefix(what, "create ") }})

var configMapWriteMatch matcher = on("", "configmaps", "create", "update", "patch", "delete", "deletecollection")

// configMapSeverity raises namespaced grants in system namespaces to the
// cluster-wide level, and grants that reach the cluster's own ConfigMaps
// there to critical.
func configMapSeverity(ctx *check.Context, _ *inventory.Inventory, h holders, r *rbacv1.PolicyRule, s check.Severity) check.Severity {
	if !authz.VerbMatches(r, "update") && !authz.VerbMatches(r, "patch") && !authz.VerbMatches(r, "delete") {
		return s // create only: it cannot change the ConfigMaps the cluster already reads
	}
	system := h.cluster
	for _, b := range h.bindings {
		system = system || ctx.Options.IsSystemNamespace(b.Namespace)
	}
	if !system {
		return s
	}
	if len(r.ResourceNames) == 0 {
		return max(s, check.High)
	}
	for _, n := range r.ResourceNames {
		if slices.Contains(criticalConfigMaps, n) {
			return check.Critical
		}
	}
	return max(s, check.Medium) // its own ConfigMaps there (a status or lock)
}

func init() { check.Register(ConfigMapWrite) }
