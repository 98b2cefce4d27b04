package rbac

import (
	"strings"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

// InvalidReference reports RBAC objects that cannot take effect as
// written: bindings to roles that are neither in the scan nor bootstrap
// roles, unknown subject kinds, ServiceAccount subjects of
// ClusterRoleBindings without a namespace, rules the API server rejects,
// "resource/*" forms that match nothing, API groups and resources that
// Kubernetes does not serve (unless a CRD of the scan defines them), and
// aggregation cycles.
//
// Reads: roleRef, subjects and rules of the four RBAC kinds, and
// CustomResourceDefinitions. Allows: bindings to bootstrap roles.
var InvalidReference = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-invalid-reference",
		Title:    "RBAC object refers to something that does not exist or is malformed",
		Severity: check.Low,
		Category: check.CategoryRBAC,
		Rationale: "A binding to a missing role grants nothing until somebody creates a role of that name, with whatever " +
			"rules they choose; a misspelt resource silently grants nothing, so the workload fails or someone widens it to *.",
		Fix:   "Correct the name, kind or namespace, or delete the object.",
		Reads: []string{"roleRef", "subjects", "rules", "aggregationRule"},
		Refs:  references,
	},
	Needs:      needs,
	MetadataOf: []schema.GroupKind{kindCRD}, // the name is PLURAL.GROUP
	Inventory:  invalidReference,
}

func init() { check.Register(InvalidReference) }

func invalidReference(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	problems := m.Problems()
	if cat, err := authz.DefaultCatalog(); err == nil {
		addCRDs(cat, inv)
		problems = append(problems, m.UnknownNames(cat)...)
	}
	var out []check.Result
	for _, p := range problems {
		o := m.Objects[p.Object]
		// Redefinitions are normal in a tree of overlays and versions; the
		// later object wins, as a later apply would.
		if o == nil || strings.HasPrefix(p.Message, "defined more than once") {
			continue
		}
		path := fieldpath.Parse(p.Field)
		if p.Field == "" {
			path = fieldpath.New("metadata", "name")
		}
		out = append(out, check.Result{Object: o, Path: path, Message: p.Message})
	}
	return out
}

var kindCRD = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}

// addCRDs adds the resources the scan's CRDs define (and their status and
// scale subresources) to the catalog.
func addCRDs(cat *authz.Catalog, inv *inventory.Inventory) {
	for _, o := range inv.ByKind(kindCRD) {
		crd, ok := o.Typed.(*apiextv1.CustomResourceDefinition)
		if !ok {
			// Known by metadata only: the name is PLURAL.GROUP.
			if plural, group, ok := strings.Cut(o.Name, "."); ok {
				cat.Add(group, plural)
				cat.Add(group, plural+"/status")
				cat.Add(group, plural+"/scale")
			}
			continue
		}
		g, plural := crd.Spec.Group, crd.Spec.Names.Plural
		cat.Add(g, plural)
		cat.Add(g, plural+"/status")
		cat.Add(g, plural+"/scale")
	}
}
