// Package rbacinv builds the RBAC model from a scan's inventory and keeps
// the way back from model references to inventory objects.
package rbacinv

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/rbac"
)

// DefaultNamespace is where namespaced objects of manifests without a
// namespace land (kubectl apply without -n, in the default context).
const DefaultNamespace = "default"

// Model is the RBAC model of an inventory.
type Model struct {
	*rbac.Model
	// Objects maps RBAC object references (and ServiceAccounts, with Kind
	// "ServiceAccount") to inventory objects; bootstrap objects are absent.
	Objects map[rbac.ObjectRef]*inventory.Object
	// Cluster is true when the objects were read from a live cluster: the
	// bootstrap roles are then part of the inventory, and aggregated
	// ClusterRoles are taken as stored.
	Cluster bool
	// ServiceAccounts are the inventory's ServiceAccounts by namespace/name.
	ServiceAccounts map[rbac.Subject]*corev1.ServiceAccount
}

// Namespace is the effective namespace of a namespaced inventory object.
func Namespace(o *inventory.Object) string {
	if o.Namespace == "" {
		return DefaultNamespace
	}
	return o.Namespace
}

// convert decodes v1beta1/v1alpha1 RBAC objects (same fields) into v1.
func convert[T any](obj runtime.Object) (*T, bool) {
	if t, ok := any(obj).(*T); ok {
		return t, true
	}
	if obj == nil {
		return nil, false
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, false
	}
	t := new(T)
	if json.Unmarshal(b, t) != nil {
		return nil, false
	}
	return t, true
}

// Build converts the inventory. Manifests get the bootstrap roles of
// rbac/bootstrap.Version; a cluster inventory has its own.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{Objects: map[rbac.ObjectRef]*inventory.Object{}, ServiceAccounts: map[rbac.Subject]*corev1.ServiceAccount{}}
	var in rbac.Input
	for _, o := range inv.All() {
		if o.Source.Cluster != "" {
			m.Cluster = true
			break
		}
	}
	for _, o := range inv.ByKind(inventory.KindClusterRole) {
		if cr, ok := convert[rbacv1.ClusterRole](o.Typed); ok {
			in.ClusterRoles = append(in.ClusterRoles, cr)
			m.Objects[rbac.ObjectRef{Kind: "ClusterRole", Name: cr.Name}] = o
		}
	}
	for _, o := range inv.ByKind(inventory.KindClusterRoleBinding) {
		if b, ok := convert[rbacv1.ClusterRoleBinding](o.Typed); ok {
			in.ClusterRoleBindings = append(in.ClusterRoleBindings, b)
			m.Objects[rbac.ObjectRef{Kind: "ClusterRoleBinding", Name: b.Name}] = o
		}
	}
	for _, o := range inv.ByKind(inventory.KindRole) {
		if r, ok := convert[rbacv1.Role](o.Typed); ok {
			r = r.DeepCopy()
			r.Namespace = Namespace(o)
			in.Roles = append(in.Roles, r)
			m.Objects[rbac.ObjectRef{Kind: "Role", Namespace: r.Namespace, Name: r.Name}] = o
		}
	}
	for _, o := range inv.ByKind(inventory.KindRoleBinding) {
		if b, ok := convert[rbacv1.RoleBinding](o.Typed); ok {
			b = b.DeepCopy()
			b.Namespace = Namespace(o)
			in.RoleBindings = append(in.RoleBindings, b)
			m.Objects[rbac.ObjectRef{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name}] = o
		}
	}
	for _, o := range inv.ByKind(inventory.KindServiceAccount) {
		sa := &corev1.ServiceAccount{}
		if t, ok := o.Typed.(*corev1.ServiceAccount); ok {
			sa = t.DeepCopy()
		} else {
			sa.ObjectMeta = *o.Meta.DeepCopy()
		}
		sa.Namespace = Namespace(o)
		in.ServiceAccounts = append(in.ServiceAccounts, sa)
		s := rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: sa.Namespace, Name: sa.Name}
		m.Objects[rbac.ObjectRef{Kind: "ServiceAccount", Namespace: sa.Namespace, Name: sa.Name}] = o
		m.ServiceAccounts[s] = sa
	}
	for _, p := range inv.Pods() {
		o := p.Object
		if o.GroupKind() == inventory.KindPodTemplate || o.Controller != nil {
			continue
		}
		in.Workloads = append(in.Workloads, rbac.Workload{
			Object:         rbac.ObjectRef{Kind: o.Kind, Namespace: Namespace(o), Name: o.Name},
			ServiceAccount: p.ServiceAccountName(),
		})
	}
	for _, o := range inv.ByKind(inventory.KindSecret) {
		typ := ""
		if s, ok := o.Typed.(*corev1.Secret); ok {
			typ = string(s.Type)
		}
		name := o.Meta.Annotations[corev1.ServiceAccountNameKey]
		if typ == string(corev1.SecretTypeServiceAccountToken) && name != "" {
			in.TokenSecrets = append(in.TokenSecrets, rbac.TokenSecret{Namespace: Namespace(o), Name: o.Name, ServiceAccount: name})
		}
	}
	in.Namespaces = inv.Namespaces()
	opts := rbac.Options{StoredAggregation: m.Cluster}
	if !m.Cluster {
		if full, err := rbac.WithBootstrap(in); err == nil {
			in = full
		}
	}
	m.Model = rbac.Build(in, opts)
	return m
}
