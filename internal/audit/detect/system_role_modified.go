package detect

import "github.com/kubeward/kubeward/internal/check"

// systemRoleModified detects changes to the cluster's own roles (Falco:
// System ClusterRole Modified/Deleted): editing system:node, system:kube-*
// or their bindings' roles grants or removes control-plane permissions.
//
// Reads: verb, objectRef (roles, clusterroles; name), user, the
// authorization decision and response code.
//
// Fires on an authorized update, patch or delete of a Role or ClusterRole
// whose name starts with "system:", by an identity other than the control
// plane (the API server reconciles these roles at start-up) or
// Options.SystemUsers. Deletion is high severity.
func systemRoleModified() Rule {
	return Rule{
		Meta: Meta{
			ID:       "system-role-modified",
			Title:    "System role modified or deleted",
			Severity: check.Medium,
			MITRE:    []Technique{tClusterRoles},
			Fires:    "an update, patch or delete of a system: Role or ClusterRole by a non-system identity",
			Reads:    []string{"verb", "objectRef", "user", "annotations", "responseStatus.code"},
			Fix:      "Revert the change (the API server restores bootstrap roles on restart unless autoupdate is off); add permissions with new roles instead.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			name := ev.Name()
			if ev.APIGroup() != "rbac.authorization.k8s.io" || (ev.Resource() != "roles" && ev.Resource() != "clusterroles") ||
				ev.Subresource() != "" || !changes(ev.Verb) || ev.Verb == "create" || len(name) < 7 || name[:7] != "system:" ||
				!ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			h := hit(ev.Verb + " of system role " + name)
			if ev.Verb == "delete" {
				h.Severity = check.High
			}
			return outcome(v, h, check.Medium)
		},
	}
}
