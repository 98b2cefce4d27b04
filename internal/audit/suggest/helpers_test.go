package suggest

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

type (
	rbacv1ClusterRole        = rbacv1.ClusterRole
	rbacv1ClusterRoleBinding = rbacv1.ClusterRoleBinding
	rbacv1RoleBinding        = rbacv1.RoleBinding
)

func clusterRole(name, rules string) *rbacv1.ClusterRole {
	r := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := yaml.Unmarshal([]byte(rules), &r.Rules); err != nil {
		panic(err)
	}
	return r
}

func subject(kind, name string) rbacv1.Subject {
	s := rbacv1.Subject{Kind: kind, Name: name}
	if kind == "ServiceAccount" {
		s.Namespace, s.Name, _ = strings.Cut(name, "/")
	} else {
		s.APIGroup = rbacv1.GroupName
	}
	return s
}

func crb(name, role, kind, subj string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: []rbacv1.Subject{subject(kind, subj)}}
}

func rb(ns, name, role, kind, subj string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: []rbacv1.Subject{subject(kind, subj)}}
}
