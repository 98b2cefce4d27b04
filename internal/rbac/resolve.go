package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// Resolve names the resource of a request as kubectl does before it asks
// the API server (kubectl auth can-i through its discovery RESTMapper): the
// resource in lower case, written as its plural, its singular ("deployment")
// or a short name ("deploy"), with or without its group, or as
// RESOURCE.VERSION.GROUP, becomes the plural and the group that serves it.
// As in kubectl, a plural or singular name wins over a short name, and a
// name served in several groups resolves to the core group first (events),
// then to the group discovery lists first: Kubernetes' own groups before
// those of CRDs (its networkpolicies, not Calico's).
//
// A resource the catalog does not serve is asked as written; note says so
// unless the request names an API group the catalog does not serve (a
// custom resource, which only its CRD defines).
func (c *Catalog) Resolve(a Attributes) (resolved Attributes, note string) {
	if a.NonResource || a.Resource == rbacv1.ResourceAll {
		return a, ""
	}
	// kubectl lower-cases the whole argument; API groups are DNS names.
	a.Resource, a.APIGroup = strings.ToLower(a.Resource), strings.ToLower(a.APIGroup)
	arg := a.Resource
	if a.APIGroup != "" {
		arg += "." + a.APIGroup
	}
	gvr, gr := schema.ParseResourceArg(arg)
	if gvr != nil {
		if r, ok := c.lookup(gvr.Resource, gvr.Group, gvr.Version); ok {
			a.APIGroup, a.Resource = r.Group, r.Name
			return c.subresourceOrName(a)
		}
	}
	if r, ok := c.lookup(gr.Resource, gr.Group, ""); ok {
		a.APIGroup, a.Resource = r.Group, r.Name
		return c.subresourceOrName(a)
	}
	if a.APIGroup != "" && !c.served[a.APIGroup] {
		return a, ""
	}
	where := "in the core API group"
	if a.APIGroup != "" {
		where = fmt.Sprintf("in API group %q", a.APIGroup)
	}
	return a, fmt.Sprintf("%s serves no resource %q %s: asked as written (name a custom resource as RESOURCE.GROUP)", c.source, a.Resource, where)
}

// subresourceOrName reads the part after the slash of a served resource:
// these commands take RESOURCE/SUBRESOURCE, kubectl auth can-i and
// kubectl-who-can take TYPE/NAME. A part the resource does not serve as a
// subresource (pods/web-1, secrets/db) is the object's name, as kubectl
// reads it, unless --name already gave one; note says so.
func (c *Catalog) subresourceOrName(a Attributes) (Attributes, string) {
	if a.Subresource == "" {
		return a, ""
	}
	if sub := strings.ToLower(a.Subresource); c.HasResource(a.APIGroup, a.Resource+"/"+sub) || a.Name != "" {
		a.Subresource = sub
		return a, ""
	}
	a.Name, a.Subresource = a.Subresource, ""
	return a, fmt.Sprintf("%s has no subresource %q: asked about the object named %q (kubectl's TYPE/NAME)", a.Resource, a.Name, a.Name)
}

// lookup finds the served resource that name stands for in group (any
// group when empty) and version (any when empty): plural and singular
// names first, then short names.
func (c *Catalog) lookup(name, group, version string) (bootstrap.Resource, bool) {
	for _, short := range []bool{false, true} {
		var found []bootstrap.Resource
		for _, r := range c.resources {
			if group != "" && r.Group != group || version != "" && r.Version != version {
				continue
			}
			if !short && (r.Name == name || r.SingularName == name) || short && slices.Contains(r.ShortNames, name) {
				found = append(found, r)
			}
		}
		if len(found) > 0 {
			// The core group first, then the catalog's order: Kubernetes'
			// own groups (the default catalog), then what a cluster's
			// discovery adds, in its order, which lists CRD groups last.
			for _, r := range found {
				if r.Group == "" {
					return r, true
				}
			}
			return found[0], true
		}
	}
	return bootstrap.Resource{}, false
}
