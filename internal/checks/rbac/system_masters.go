package rbac

import (
	"fmt"
	"slices"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

const groupMasters = "system:masters"

// SystemMasters reports RBAC bindings that name the system:masters group,
// and EKS aws-auth mappings that put cloud identities in it.
//
// Reads: subjects of RoleBindings and ClusterRoleBindings; data.mapRoles
// and data.mapUsers of the ConfigMap kube-system/aws-auth.
// Allows: the bootstrap cluster-admin binding (labelled
// kubernetes.io/bootstrapping: rbac-defaults), which every cluster has.
var SystemMasters = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-system-masters",
		Title:    "Identity put in or bound through the system:masters group",
		Severity: check.High,
		Category: check.CategoryRBAC,
		Rationale: "Members of system:masters pass every authorization check before RBAC is consulted: no role, " +
			"binding or deny can limit them, and removing a binding does not take their power away. A binding " +
			"that names the group adds nothing its members lack, but shows that credentials are issued in it; " +
			"an aws-auth entry that maps an IAM role or user to it makes that cloud identity an unrevocable cluster admin.",
		Fix: "Issue credentials in a group of your own bound to the ClusterRole it needs, so access can be " +
			"reviewed and revoked; on EKS map IAM identities to such a group (or use access entries), never to system:masters.",
		Reads: []string{"RoleBinding subjects", "ClusterRoleBinding subjects", "ConfigMap kube-system/aws-auth data.mapRoles, data.mapUsers"},
		Refs: append([]check.Reference{check.CIS("5.1.1", "Ensure that the cluster-admin role is only used where required"),
			check.MITRE("T1078", "Valid Accounts")}, references...),
	},
	Object: systemMasters,
	Kinds:  []schema.GroupKind{inventory.KindRoleBinding, inventory.KindClusterRoleBinding, inventory.KindConfigMap},
}

func init() { check.Register(SystemMasters) }

func systemMasters(_ *check.Context, o *inventory.Object) []check.Result {
	switch t := o.Typed.(type) {
	case *corev1.ConfigMap:
		return awsAuthMasters(o, t)
	case *rbacv1.RoleBinding:
		return mastersSubjects(o, t.Subjects)
	case *rbacv1.ClusterRoleBinding:
		if o.Meta.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults" {
			return nil
		}
		return mastersSubjects(o, t.Subjects)
	}
	return nil
}

func mastersSubjects(o *inventory.Object, subjects []rbacv1.Subject) []check.Result {
	var out []check.Result
	for i, s := range subjects {
		if s.Kind == authz.KindGroup && s.Name == groupMasters {
			out = append(out, check.Result{Path: fieldpath.New("subjects").Index(i), Severity: check.Medium,
				Message: fmt.Sprintf("%s names the group system:masters, whose members bypass RBAC altogether", o.Ref)})
		}
	}
	return out
}

// awsMapping is one entry of aws-auth's mapRoles or mapUsers.
type awsMapping struct {
	RoleARN  string   `json:"rolearn"`
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// awsAuthMasters reports entries of kube-system/aws-auth that map an IAM
// identity to system:masters. Entries that do not parse are left to the
// EKS authenticator, which skips them too.
func awsAuthMasters(o *inventory.Object, cm *corev1.ConfigMap) []check.Result {
	if o.Name != "aws-auth" || (o.Namespace != "kube-system" && o.Namespace != "") {
		return nil
	}
	var out []check.Result
	for _, key := range []string{"mapRoles", "mapUsers"} {
		var entries []awsMapping
		if err := yaml.Unmarshal([]byte(cm.Data[key]), &entries); err != nil {
			continue
		}
		for _, e := range entries {
			if !slices.Contains(e.Groups, groupMasters) {
				continue
			}
			who := e.RoleARN
			if who == "" {
				who = e.UserARN
			}
			out = append(out, check.Result{Path: fieldpath.New("data", key),
				Message: fmt.Sprintf("aws-auth maps %s (user %q) to system:masters: that IAM identity is cluster admin, beyond RBAC", who, e.Username)})
		}
	}
	return out
}
