package rbac

import "github.com/kubeward/kubeward/internal/check"

// WebhookConfig reports roles that grant create, update, patch or delete on mutating/validating webhook configurations and admission policies.
//
// Reads: Role and ClusterRole rules (aggregated rules through the
// ClusterRoles they come from) and the RoleBindings and ClusterRoleBindings
// that give them out. Allows: roles bound only to system components,
// bootstrap roles except through a binding in the scan, and rules with verbs
// and resources "*" (rbac-wildcard reports those once). Rules limited by
// resourceNames, the shape the fix asks for, are reported at info: whoever
// holds them can still rewrite those configurations (their failurePolicy or
// selectors), but it is an operator managing its own webhook.
var WebhookConfig = permissionCheck(check.Meta{
	ID:        "rbac-admission-webhook-config",
	Title:     "Role can change admission webhooks and policies",
	Rationale: "A mutating webhook sees and rewrites every object it selects (pods in kube-system included); removing a validating one switches off the cluster's guard rails.",
	Fix:       "Give webhook configuration rights only to the operator that owns the webhook, with resourceNames naming its configurations.",
	Reads:     []string{"Role rules", "ClusterRole rules", "RoleBinding", "ClusterRoleBinding"},
	Peers:     []check.Peer{check.Trivy("KSV114"), check.Kubescape("C-0036"), check.Kubescape("C-0039")},
},
	webhookConfigMatch,
	severities{cluster: check.Critical, namespaced: check.Critical, named: check.Info})

var webhookConfigMatch matcher = anyOf(on("admissionregistration.k8s.io", "mutatingwebhookconfigurations", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingwebhookconfigurations", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingadmissionpolicies", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "validatingadmissionpolicybindings", "create", "update", "patch", "delete"), on("admissionregistration.k8s.io", "mutatingadmissionpolicies", "create", "update", "patch", "delete"))

func init() { check.Register(WebhookConfig) }
