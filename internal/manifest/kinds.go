package manifest

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// kindIndex knows which kinds the scheme's API groups serve, to refuse
// what the API server would refuse ("apiVersion: v1" with "kind:
// Deployment", a version a group does not have) while custom resources,
// whose groups the scheme does not have, pass.
type kindIndex struct {
	known  map[schema.GroupVersionKind]bool
	groups map[string]bool
	gvs    map[schema.GroupVersion]bool
	// servedIn is, per kind, the preferred version of each group serving
	// it, stable versions only when there are some.
	servedIn map[string][]string
}

func newKindIndex(sch *runtime.Scheme) *kindIndex {
	ix := &kindIndex{known: map[schema.GroupVersionKind]bool{}, groups: map[string]bool{}, gvs: map[schema.GroupVersion]bool{}, servedIn: map[string][]string{}}
	byKind := map[string]map[string]bool{} // kind → group → seen
	for gvk := range sch.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal {
			continue
		}
		ix.known[gvk] = true
		ix.groups[gvk.Group] = true
		ix.gvs[gvk.GroupVersion()] = true
		if byKind[gvk.Kind] == nil {
			byKind[gvk.Kind] = map[string]bool{}
		}
		byKind[gvk.Kind][gvk.Group] = true
	}
	versions := map[schema.GroupKind][]string{}
	for gvk := range ix.known {
		versions[gvk.GroupKind()] = append(versions[gvk.GroupKind()], gvk.Version)
	}
	for kind, groups := range byKind {
		var stable, all []string
		for g := range groups {
			// The newest version of the group, as the API server prefers.
			vs := versions[schema.GroupKind{Group: g, Kind: kind}]
			sort.Slice(vs, func(i, j int) bool { return version.CompareKubeAwareVersionStrings(vs[i], vs[j]) > 0 })
			gv := schema.GroupVersion{Group: g, Version: vs[0]}
			all = append(all, gv.String())
			if !strings.Contains(gv.Version, "alpha") && !strings.Contains(gv.Version, "beta") {
				stable = append(stable, gv.String())
			}
		}
		if len(stable) > 0 {
			all = stable
		}
		sort.Strings(all)
		ix.servedIn[kind] = all
	}
	return ix
}

// rejects says why the API server of the libraries' release would refuse
// an object of this kind, or returns "" when it would not (or cannot be
// known: a custom resource).
func (ix *kindIndex) rejects(gvk schema.GroupVersionKind) string {
	if !ix.groups[gvk.Group] || ix.known[gvk] {
		return ""
	}
	apiVersion := gvk.GroupVersion().String()
	var why string
	if ix.gvs[gvk.GroupVersion()] {
		why = fmt.Sprintf("Kubernetes has no kind %s in %s", gvk.Kind, apiVersion)
	} else {
		why = fmt.Sprintf("Kubernetes serves no API version %s", apiVersion)
	}
	if in := ix.servedIn[gvk.Kind]; len(in) > 0 {
		why += fmt.Sprintf(" (%s is in %s)", gvk.Kind, strings.Join(in, ", "))
	}
	return why
}
