package vap

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Reads returns the kinds of object the policies among objs may read in
// full: the kinds their resource rules can match, their params, Namespaces
// (for namespace selectors), and CustomResourceDefinitions when a rule or a
// paramKind names a custom group. A loader parses other kinds for their
// metadata only: in real repositories most bytes are CRDs no policy reads.
// Bindings only narrow what their policy matches, so policies suffice.
func Reads(objs []*inventory.Object) func(schema.GroupKind) bool {
	var (
		rules  []admissionregistrationv1.NamedRuleWithOperations
		params []schema.GroupKind
		custom bool // a rule or paramKind may name a custom resource
		authz  bool // an expression asks the authorizer: read RBAC objects
	)
	for _, o := range objs {
		if o.Kind != "ValidatingAdmissionPolicy" || inventory.GroupOf(o.APIVersion) != admissionregistrationv1.GroupName {
			continue
		}
		var src any = o.Typed
		if src == nil {
			src = o.Raw
		}
		var p admissionregistrationv1.ValidatingAdmissionPolicy
		data, err := json.Marshal(src)
		if err == nil {
			err = json.Unmarshal(data, &p)
		}
		if err != nil {
			return func(schema.GroupKind) bool { return true }
		}
		authz = authz || strings.Contains(string(data), "authorizer")
		if pk := p.Spec.ParamKind; pk != nil {
			gk := schema.FromAPIVersionAndKind(pk.APIVersion, pk.Kind).GroupKind()
			params = append(params, gk)
			custom = custom || !builtinGroup(gk.Group)
		}
		if mc := p.Spec.MatchConstraints; mc != nil {
			rules = append(rules, mc.ResourceRules...)
			for _, r := range mc.ResourceRules {
				for _, g := range r.APIGroups {
					custom = custom || g == "*" || !builtinGroup(g)
				}
			}
		}
	}
	k := &kinds{}
	return func(gk schema.GroupKind) bool {
		switch {
		case gk == inventory.KindNamespace || slices.Contains(params, gk):
			return true
		case gk.Group == "apiextensions.k8s.io" && gk.Kind == "CustomResourceDefinition":
			return custom
		case authz && (gk.Group == "rbac.authorization.k8s.io" || gk == inventory.KindServiceAccount):
			return true
		}
		for _, r := range rules {
			if !slices.Contains(r.APIGroups, "*") && !slices.Contains(r.APIGroups, gk.Group) {
				continue
			}
			if !builtinGroup(gk.Group) {
				return true // the plural of a custom kind is only a guess
			}
			plural := k.lookup(gk.WithVersion("")).resource
			for _, res := range r.Resources {
				name, _, _ := strings.Cut(res, "/")
				if name == "*" || name == plural {
					return true
				}
			}
		}
		return false
	}
}

func builtinGroup(g string) bool {
	return g == "" || !strings.Contains(g, ".") || strings.HasSuffix(g, ".k8s.io")
}
