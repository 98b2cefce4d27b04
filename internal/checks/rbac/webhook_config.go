package rbac

import (
	"github.com/kubeward/kubeward/internal/check"
	rbacv1 "k8s.io/api/rbac/v1"
)

// WebhookConfig reports roles that grant create, update, patch or delete on mutating/validating webhook configurations and admission policies.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, rules with verbs
// and resources "*" (rbac-wildcard reports those once), and rules limited by
// resourceNames: an operator updating its own named configurations is the
// shape the fix asks for (and a named rule cannot grant create, whose
// request carries no name at authorization).
var WebhookConfig = permissionCheck(check.Meta{
	ID:        "rbac-admission-webhook-config",
	Title:     "Role can change admission webhooks and policies",
	Rationale: "A mutating webhook sees and rewrites every object it selects (pods in kube-system included); removing a validating one switches off the cluster's guard rails.",
	Fix:       "Give webhook configuration rights only to the operator that owns the webhook, with resourceNames naming its configurations.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
},
	webhookConfigMatch,
	severities{cluster: check.Critical, namespaced: check.Critical})

var webhookConfigMatch matcher = unnamed(anyOf(on("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingwebhookconfigurations", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingadmissionpolicies", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "mutatingadmissionpolicies", "create", "update", "patch", "delete")))

func init() { check.Register(WebhookConfig) }

// unnamed lets rules limited by resourceNames pass.
func unnamed(m matcher) matcher {
	return func(r *rbacv1.PolicyRule) (string, bool) {
		if len(r.ResourceNames) > 0 {
			return "", false
		}
		return m(r)
	}
}
