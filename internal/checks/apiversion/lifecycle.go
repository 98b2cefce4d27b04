// Package apiversion holds the checks on API versions: manifests written
// for versions that the target Kubernetes release no longer serves, or
// that it has deprecated. The releases come from k8s.io/api's generated
// prerelease-lifecycle methods (APILifecycleDeprecated, APILifecycleRemoved,
// APILifecycleReplacement), not from a table kept by hand.
package apiversion

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// lifecycled is what prerelease-lifecycle-gen adds to the Go types of
// alpha and beta API versions.
type lifecycled interface {
	APILifecycleIntroduced() (major, minor int)
	APILifecycleDeprecated() (major, minor int)
	APILifecycleRemoved() (major, minor int)
}

type replaced interface {
	APILifecycleReplacement() schema.GroupVersionKind
}

// lifecycle is the life of one group/version/kind.
type lifecycle struct {
	introduced, deprecated, removed *version.Version
	replacement                     schema.GroupVersionKind // empty when none is named
}

// table knows the built-in kinds of kubeward's libraries.
type table struct {
	life map[schema.GroupVersionKind]lifecycle
	// kinds lists the served versions of each group/kind, GA first.
	kinds  map[schema.GroupKind][]string
	groups map[string]bool
	// newest is the release the libraries were built for: the newest
	// release in which one of their API versions was introduced.
	newest *version.Version
}

// schemes hold the kinds an API server serves without extensions:
// client-go's (read only; Helm adds the CustomResourceDefinition kinds to it
// when it is linked, so they come from a small scheme of their own too, and
// the table is the same whatever ran first).
func schemes() []*runtime.Scheme {
	crds := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apiextensionsv1.AddToScheme, apiextensionsv1beta1.AddToScheme} {
		if err := add(crds); err != nil {
			panic(fmt.Sprintf("register CustomResourceDefinition kinds: %v", err)) // a programming error: the schemes are static
		}
	}
	return []*runtime.Scheme{clientgoscheme.Scheme, crds}
}

// notListed are the groups and kinds whose objects are requests or
// reviews, never stored: there is nothing of them to list in a cluster or
// to deploy from a manifest.
var notListed = []string{"authentication.k8s.io", "authorization.k8s.io", "admission.k8s.io", "apidiscovery.k8s.io", "imagepolicy.k8s.io"}

func buildTable() *table {
	t := &table{life: map[schema.GroupVersionKind]lifecycle{}, kinds: map[schema.GroupKind][]string{}, groups: map[string]bool{}, newest: version.MajorMinor(0, 0)}
	for _, s := range schemes() {
		t.add(s)
	}
	for gk, vs := range t.kinds {
		slices.SortFunc(vs, func(a, b string) int { return -apimachineryversion.CompareKubeAwareVersionStrings(a, b) })
		t.kinds[gk] = slices.Compact(vs)
	}
	return t
}

func (t *table) add(s *runtime.Scheme) {
	for gvk := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") || slices.Contains(notListed, gvk.Group) {
			continue
		}
		obj, err := s.New(gvk)
		if err != nil {
			continue
		}
		if _, err := meta.Accessor(obj); err != nil {
			continue // options and events of the machinery (ListOptions, WatchEvent)
		}
		t.groups[gvk.Group] = true
		t.kinds[gvk.GroupKind()] = append(t.kinds[gvk.GroupKind()], gvk.Version)
		l, ok := obj.(lifecycled)
		if !ok {
			continue // GA: never removed
		}
		life := lifecycle{introduced: majorMinor(l.APILifecycleIntroduced), deprecated: majorMinor(l.APILifecycleDeprecated), removed: majorMinor(l.APILifecycleRemoved)}
		if r, ok := obj.(replaced); ok {
			life.replacement = r.APILifecycleReplacement()
		}
		t.life[gvk] = life
		if life.introduced.GreaterThan(t.newest) {
			t.newest = life.introduced
		}
	}
}

func majorMinor(f func() (int, int)) *version.Version {
	major, minor := f()
	return version.MajorMinor(uint(max(major, 0)), uint(max(minor, 0)))
}

// libraryVersion is the Kubernetes release kubeward's libraries were built
// for: k8s.io/api v0.N is Kubernetes 1.N. Test binaries carry no module
// versions; the newest release an API version of the libraries was
// introduced in is then the answer (TestLibraryVersion holds the two equal).
func (t *table) libraryVersion() *version.Version {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "k8s.io/api" {
				if v, err := version.ParseSemantic(d.Version); err == nil && v.Major() == 0 {
					return version.MajorMinor(1, v.Minor())
				}
			}
		}
	}
	return t.newest
}

// served reports whether Kubernetes at v serves the group/version/kind:
// GA versions always, prerelease ones between introduction and removal.
func (t *table) served(gvk schema.GroupVersionKind, v *version.Version) bool {
	if l, ok := t.life[gvk]; ok {
		return !v.LessThan(l.introduced) && v.LessThan(l.removed)
	}
	return slices.Contains(t.kinds[gvk.GroupKind()], gvk.Version)
}

// preferred is the version to move a kind to: its newest GA version, else
// the newest one served at v.
func (t *table) preferred(gk schema.GroupKind, v *version.Version) string {
	for _, ver := range t.kinds[gk] {
		if t.served(gk.WithVersion(ver), v) {
			return ver
		}
	}
	return ""
}

// metadataKinds are the kinds that have (or had) a prerelease version: the
// checks read their apiVersion and annotations only. Events are left out:
// listing every event of a cluster to read versions nobody applies would
// cost more than it finds.
func (t *table) metadataKinds() []schema.GroupKind {
	seen := map[schema.GroupKind]bool{}
	for gvk := range t.life {
		if gvk.Kind != "Event" {
			seen[gvk.GroupKind()] = true
		}
	}
	out := make([]schema.GroupKind, 0, len(seen))
	for gk := range seen {
		out = append(out, gk)
	}
	slices.SortFunc(out, func(a, b schema.GroupKind) int { return strings.Compare(a.String(), b.String()) })
	return out
}
