package apiversion

import (
	"encoding/json"
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
)

// known is the table of kubeward's own libraries. It is built once, when
// the package is loaded, and only read afterwards.
var known = buildTable()

// LibraryVersion is the Kubernetes release kubeward's libraries were built
// for, the default target of the API version checks ("1.37").
func LibraryVersion() string { return known.libraryVersion().String() }

// ParseKubeVersion accepts "1.37", "v1.37" or "v1.37.2" and keeps the minor.
func ParseKubeVersion(s string) (*version.Version, error) {
	v, err := version.ParseGeneric(s)
	if err != nil {
		return nil, fmt.Errorf("kube version %q: %w", s, err)
	}
	return version.MajorMinor(v.Major(), v.Minor()), nil
}

func target(o *check.Options) *version.Version {
	if o.KubeVersion != "" {
		if v, err := ParseKubeVersion(o.KubeVersion); err == nil {
			return v
		}
	}
	return known.libraryVersion()
}

var apiVersionPath = fieldpath.New("apiVersion")

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// appliedVersion is the API version an object was written in: its own in a
// manifest; in a cluster, where objects come back in the version the scan
// asked for, the one of the last kubectl apply, when the annotation says.
func appliedVersion(o *inventory.Object) (string, bool) {
	if o.Source.Cluster == "" {
		return o.APIVersion, true
	}
	raw, ok := o.Meta.Annotations[lastApplied]
	if !ok {
		return "", false
	}
	var applied struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if json.Unmarshal([]byte(raw), &applied) != nil || applied.Kind != o.Kind || applied.APIVersion == "" {
		return "", false
	}
	return applied.APIVersion, true
}

// status is what the target release does with one object's API version.
type status struct {
	gvk                 schema.GroupVersionKind
	removed, deprecated *version.Version // set when known
	replacement         string           // "networking.k8s.io/v1 Ingress"; "" when none is served
	unknown             bool             // a version (or kind) of a built-in group the libraries no longer carry
}

func judge(o *inventory.Object, v *version.Version) (status, bool) {
	apiVersion, ok := appliedVersion(o)
	if !ok {
		return status{}, false
	}
	gvk := schema.FromAPIVersionAndKind(apiVersion, o.Kind)
	if inventory.GroupKindOf(apiVersion, o.Kind) != gvk.GroupKind() {
		// OpenShift's legacy DeploymentConfig ("apiVersion: v1"): OpenShift
		// serves it, not Kubernetes' core group.
		return status{}, false
	}
	st := status{gvk: gvk}
	if l, ok := known.life[gvk]; ok {
		st.removed, st.deprecated = l.removed, l.deprecated
		if !l.replacement.Empty() && known.served(l.replacement, v) {
			st.replacement = l.replacement.GroupVersion().String() + " " + l.replacement.Kind
		}
	} else if !known.groups[gvk.Group] || known.served(gvk, v) {
		return status{}, false // a custom resource, or a GA version
	} else {
		st.unknown = true
	}
	if st.replacement == "" {
		if ver := known.preferred(gvk.GroupKind(), v); ver != "" && ver != gvk.Version {
			st.replacement = schema.GroupVersion{Group: gvk.Group, Version: ver}.String() + " " + gvk.Kind
		}
	}
	return st, true
}

func (st status) use() string {
	if st.replacement == "" {
		return fmt.Sprintf("no version of %s is served: migrate to what replaced it, or remove the object", st.gvk.Kind)
	}
	return "use " + st.replacement
}

// inputs are the kinds the checks read the apiVersion and annotations of.
var inputs = known.metadataKinds()

var references = []check.Reference{check.NSA("Upgrading and application security practices")}
