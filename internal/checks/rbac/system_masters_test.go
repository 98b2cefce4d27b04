package rbac

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func TestSystemMasters(t *testing.T) {
	const masters = "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}]"
	checktest.RunFixtures(t, SystemMasters, nil, []checktest.Fixture{{
		Name: "bindings of other groups and the bootstrap binding pass",
		YAML: crb("b", "view", "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}]") + `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/nodes
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]`,
	}, {
		Name: "a binding naming system:masters fails at the subject",
		YAML: crb("admins", "cluster-admin", userDev+"") + rb("a", "b", "ClusterRole", "edit", "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: x}, {kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:masters}]") + crb("c", "view", masters),
		Want: []string{"RoleBinding/b subjects[1]", "ClusterRoleBinding/c subjects[0]"},
	}, {
		Name: "aws-auth mapping an IAM role and user to system:masters fails",
		YAML: `apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/ci
      username: ci
      groups:
        - system:masters
  mapUsers: |
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
      groups: [system:masters]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: other}
data:
  mapUsers: |
    - {userarn: x, username: y, groups: [system:masters]}`,
		Want: []string{"ConfigMap/aws-auth data.mapRoles", "ConfigMap/aws-auth data.mapUsers"},
	}})
}

// FuzzAWSAuth feeds aws-auth ConfigMaps of any content to the check: it
// must never fail, and it reports only entries naming system:masters.
func FuzzAWSAuth(f *testing.F) {
	f.Add("- rolearn: arn:aws:iam::1:role/a\n  username: a\n  groups: [system:masters]\n", "")
	f.Add("- {userarn: x, groups: [system:nodes]}", "[[[")
	f.Add("&a [*a, *a]", "- groups: !!binary AAAA")
	f.Fuzz(func(t *testing.T, roles, users string) {
		cm := &corev1.ConfigMap{Data: map[string]string{"mapRoles": roles, "mapUsers": users}}
		o := &inventory.Object{Ref: inventory.Ref{Kind: "ConfigMap", Name: "aws-auth", Namespace: "kube-system"}}
		for _, r := range awsAuthMasters(o, cm) {
			if !strings.Contains(roles+users, groupMasters) {
				t.Fatalf("reported %q without system:masters in the input", r.Message)
			}
		}
	})
}
