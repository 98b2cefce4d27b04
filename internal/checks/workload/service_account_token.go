package workload

import (
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
)

// token is whether a pod gets an API token of its service account, decided
// as the kubelet and the ServiceAccount admission plugin do: the pod's
// automountServiceAccountToken wins; unset, the ServiceAccount's decides;
// both unset means mounted.
type token struct {
	Mounted bool
	// PodSays is the pod's own setting, nil when unset.
	PodSays *bool
	// Projected is true when the pod mounts a token itself through a
	// projected serviceAccountToken volume, whatever automount says.
	Projected bool
	// Account is the ServiceAccount object when the scan holds it.
	Account     *inventory.Object
	AccountSays *bool
	// Field is where the pod should say false.
	Field *fieldpath.Path
}

func podToken(inv *inventory.Inventory, p *inventory.Pod) token {
	t := token{PodSays: p.Spec.AutomountServiceAccountToken, Field: p.SpecPath.Child("automountServiceAccountToken")}
	if isMirror(p) {
		return t
	}
	if o := inv.Get(inventory.KindServiceAccount, p.Namespace(), p.ServiceAccountName()); o != nil {
		t.Account = o
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok {
			t.AccountSays = sa.AutomountServiceAccountToken
		}
	}
	switch {
	case t.PodSays != nil:
		t.Mounted = *t.PodSays
	case t.AccountSays != nil:
		t.Mounted = *t.AccountSays
	default:
		t.Mounted = true
	}
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				t.Projected = true
			}
		}
	}
	return t
}

// isMirror reports a mirror Pod: the API's copy of a static Pod the kubelet
// runs from a file. The ServiceAccount admission plugin leaves its spec alone
// and refuses one that names a service account or mounts a token
// (k/k plugin/pkg/admission/serviceaccount/admission.go), so it runs as no
// service account and has no token, whatever automountServiceAccountToken says.
func isMirror(p *inventory.Pod) bool {
	_, ok := p.Meta.Annotations[corev1.MirrorPodAnnotationKey]
	return ok
}

// bindings are the service accounts that RoleBindings and
// ClusterRoleBindings of the scan name directly, as a ServiceAccount subject
// or as the user system:serviceaccount:NS:NAME: name -> namespaces. Group
// subjects are left out: a grant to every account of a namespace says
// nothing about what one pod needs.
type bindings map[string][]string

func boundAccounts(inv *inventory.Inventory) bindings {
	out := bindings{}
	add := func(bindingNS, kind, name, ns string) {
		switch kind {
		case rbacv1.ServiceAccountKind:
			if ns == "" {
				ns = bindingNS // left for kustomize or helm to fill in
			}
		case rbacv1.UserKind:
			rest, ok := strings.CutPrefix(name, "system:serviceaccount:")
			if !ok {
				return
			}
			if ns, name, ok = strings.Cut(rest, ":"); !ok {
				return
			}
		default:
			return
		}
		out[name] = append(out[name], ns)
	}
	for _, o := range inv.ByKind(inventory.KindRoleBinding) {
		for _, s := range subjects(o) {
			add(o.Namespace, s.Kind, s.Name, s.Namespace)
		}
	}
	for _, o := range inv.ByKind(inventory.KindClusterRoleBinding) {
		for _, s := range subjects(o) {
			add("", s.Kind, s.Name, s.Namespace)
		}
	}
	return out
}

// subjects reads the subjects of a binding of any served RBAC version.
func subjects(o *inventory.Object) []rbacv1.Subject {
	var old []rbacv1beta1.Subject
	switch b := o.Typed.(type) {
	case *rbacv1.RoleBinding:
		return b.Subjects
	case *rbacv1.ClusterRoleBinding:
		return b.Subjects
	case *rbacv1beta1.RoleBinding:
		old = b.Subjects
	case *rbacv1beta1.ClusterRoleBinding:
		old = b.Subjects
	}
	out := make([]rbacv1.Subject, len(old))
	for i, s := range old {
		out[i] = rbacv1.Subject{Kind: s.Kind, APIGroup: s.APIGroup, Name: s.Name, Namespace: s.Namespace}
	}
	return out
}

// has reports whether a binding names the account. A namespace left empty
// on either side (a manifest whose namespace is chosen at deploy time)
// matches any, so that a chart's own binding counts.
func (b bindings) has(namespace, name string) bool {
	for _, ns := range b[name] {
		if ns == namespace || ns == "" || namespace == "" {
			return true
		}
	}
	return false
}
