package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// clusterAdminBinding detects bindings to cluster-admin (Falco: Attach to
// cluster-admin Role).
//
// Reads: verb, objectRef (clusterrolebindings, rolebindings), the request
// body (roleRef, subjects), user, the authorization decision and response
// code.
//
// Fires on an authorized create, update or patch of a ClusterRoleBinding or
// RoleBinding whose roleRef is the ClusterRole cluster-admin, by an identity
// other than the control plane. Critical when a subject is a group that
// everyone is in (system:authenticated, system:unauthenticated,
// system:serviceaccounts) or the anonymous user.
func clusterAdminBinding() Rule {
	return Rule{
		Meta: Meta{
			ID:       "cluster-admin-binding",
			Title:    "Binding to cluster-admin",
			Severity: check.High,
			MITRE:    []Technique{tClusterRoles},
			Fires:    "a ClusterRoleBinding or RoleBinding created or changed to reference cluster-admin",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Delete the binding unless it is approved break-glass access; bind a role with only the needed permissions.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			res := ev.Resource()
			if !writes(ev.Verb) || ev.APIGroup() != "rbac.authorization.k8s.io" || ev.Subresource() != "" ||
				(res != "clusterrolebindings" && res != "rolebindings") || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			b, ok := v.Binding()
			if !ok || b.RoleRef.Name != "cluster-admin" || (b.RoleRef.Kind != "" && b.RoleRef.Kind != "ClusterRole") {
				return nil
			}
			var subjects []string
			everyone := false
			for _, s := range b.Subjects {
				id := s.Kind + ":" + s.Name
				if s.Namespace != "" {
					id = s.Kind + ":" + s.Namespace + "/" + s.Name
				}
				subjects = append(subjects, id)
				switch s.Name {
				case "system:authenticated", "system:unauthenticated", "system:serviceaccounts", userAnonymous:
					everyone = true
				}
			}
			where := "cluster-wide"
			if res == "rolebindings" {
				where = "in namespace " + ev.Namespace()
			}
			h := hit("cluster-admin bound "+where+" by "+res[:len(res)-1]+" "+v.objectName(&b.Metadata),
				"subjects", strings.Join(subjects, ","))
			if everyone {
				h.Severity = check.Critical
			}
			return outcome(v, h, check.High)
		},
	}
}
