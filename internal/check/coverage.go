package check

import (
	"sort"

	"github.com/kubeward/kubeward/internal/inventory"
)

// Coverage gaps a check can name. A scan that could not judge something
// reports it as a gap with one of these ids (or a resource, for kinds it
// could not list); --ignore-gap accepts a gap by its id.
const (
	// GapControlPlane: no kube-apiserver, kube-controller-manager,
	// kube-scheduler or etcd among the objects read.
	GapControlPlane = "control-plane"
	// GapKubelet: no kubelet command line or configuration.
	GapKubelet = "kubelet"
	// GapKubeProxy: no kube-proxy container or KubeProxyConfiguration.
	GapKubeProxy = "kube-proxy"
	// GapNodeFiles: no owner and mode of any node file.
	GapNodeFiles = "node-files"
)

// Subject is what a check judges on a cluster or a node, such as the
// kube-apiserver or the kubelet. A cluster or node scan whose inputs hold
// none of it has nothing to judge for the check, and its coverage says so:
// a report that is silent because nothing was looked at must not read as a
// pass. (File scans do not report absent subjects: a repository of
// applications holds no control plane.)
type Subject struct {
	// Gap is the coverage gap the subject's absence belongs to
	// (GapControlPlane, ...): absent subjects of one gap are one line.
	Gap string
	// Name is what is absent, for people: "kube-apiserver".
	Name string
	// Present reports whether the inventory holds the subject.
	Present func(*Context, *inventory.Inventory) bool
}

// Undecided is an object a check could not judge: a setting it needs lives
// where the scan could not read it (a file on the node named by a flag).
type Undecided struct {
	Check  string
	Gap    string // the coverage gap it belongs to (Result.Undecided)
	Object inventory.Ref
	Reason string // Result.Message: why, the same for every object of the gap
}

// SortUndecided orders undecided objects by gap, check and object.
func SortUndecided(us []Undecided) {
	sort.Slice(us, func(i, j int) bool {
		a, b := us[i], us[j]
		if a.Gap != b.Gap {
			return a.Gap < b.Gap
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Object.String() < b.Object.String()
	})
}
