package cluster

import (
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fileOnlyGroups are API groups of kinds checks read from files only
// (node files, component configuration, kubeward's own node kinds): no
// API server serves them, so a scanning identity needs no grant for them.
// extensions is listed because its Ingress has not been served since
// Kubernetes 1.22.
var fileOnlyGroups = map[string]bool{
	"node.kubeward.dev":           true,
	"kubelet.config.k8s.io":       true,
	"kubeadm.k8s.io":              true,
	"apiserver.config.k8s.io":     true,
	"audit.k8s.io":                true,
	"kubescheduler.config.k8s.io": true,
	"kubeproxy.config.k8s.io":     true,
	"extensions":                  true,
}

// Resource returns the resource an API server serves a kind as, for the
// scanning role; ok is false for kinds only files hold and for built-in
// kinds a default v1.37 API server does not list (subresources such as
// Scale, alpha APIs). Built-in groups are looked up in the discovery dumped
// from a real API server (internal/rbac/bootstrap); other groups are custom
// resources, whose resource is the kind's lower-case plural (a vowel
// before a final y keeps it: Gateway, gateways).
func Resource(gk schema.GroupKind) (schema.GroupResource, bool) {
	if fileOnlyGroups[gk.Group] {
		return schema.GroupResource{}, false
	}
	if d, err := bootstrap.Load(); err == nil {
		builtin := false
		for _, r := range d.Resources {
			if r.Group != gk.Group {
				continue
			}
			builtin = true
			if r.Kind == gk.Kind && !strings.Contains(r.Name, "/") && slices.Contains(r.Verbs, "list") {
				return schema.GroupResource{Group: r.Group, Resource: r.Name}, true
			}
		}
		if builtin {
			return schema.GroupResource{}, false
		}
	}
	plural, _ := meta.UnsafeGuessKindToResource(gk.WithVersion(""))
	if k := strings.ToLower(gk.Kind); len(k) > 1 && strings.HasSuffix(k, "y") && strings.ContainsRune("aeiou", rune(k[len(k)-2])) {
		plural.Resource = k + "s"
	}
	return plural.GroupResource(), true
}

// ScannerRole is the ClusterRole that lets an identity read every kind in
// kinds that an API server serves, and nothing more: the loader only lists
// (no get, watch or write), Secrets through the metadata API. RBAC cannot
// grant metadata alone: list on secrets also lets the identity read their
// values through the ordinary API, which docs/cluster.md weighs.
func ScannerRole(name string, kinds []schema.GroupKind) *rbacv1.ClusterRole {
	byGroup := map[string]map[string]bool{}
	for _, gk := range kinds {
		gr, ok := Resource(gk)
		if !ok {
			continue
		}
		if byGroup[gr.Group] == nil {
			byGroup[gr.Group] = map[string]bool{}
		}
		byGroup[gr.Group][gr.Resource] = true
	}
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}
	secrets := byGroup[""]["secrets"]
	delete(byGroup[""], "secrets")
	for _, g := range groups {
		resources := make([]string, 0, len(byGroup[g]))
		for r := range byGroup[g] {
			resources = append(resources, r)
		}
		sort.Strings(resources)
		if len(resources) > 0 {
			role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: resources, Verbs: []string{"list"}})
		}
	}
	// Secrets get a rule of their own: the one grant that exposes values,
	// which a deployment may leave out (the chart's secrets: none).
	if secrets {
		role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}})
	}
	return role
}
