package controlplane

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
)

// Releases is upstream's support window as published on
// https://kubernetes.io/releases/: the three newest minors are maintained,
// each until its end-of-life date. Update it with each minor release.
var Releases = ReleaseTable{
	Updated: "2026-11-23",
	// End-of-life dates of the maintained minors and of recent ones.
	EndOfLife: map[uint]string{
		30: "2025-07-15",
		33: "2026-06-28",
		34: "2026-10-27",
		35: "2027-02-28",
		36: "2027-06-28",
		37: "2027-10-28",
	},
	Newest: 37,
}

// ReleaseTable is the support window kubeward knows.
type ReleaseTable struct {
	Updated   string          // when the table was last checked against upstream
	EndOfLife map[uint]string // minor -> end-of-life date (YYYY-MM-DD)
	Newest    uint            // newest released minor of 1.x
}

// Support says whether a version is maintained upstream on a day. A minor
// newer than the table knows is assumed maintained; one older than the
// table's maintained window is not.
func (r ReleaseTable) Support(v *version.Version, now time.Time) (supported bool, eol string) {
	if v.Major() != 1 {
		return true, ""
	}
	minor := v.Minor()
	if minor > r.Newest {
		return true, ""
	}
	eol = r.EndOfLife[minor]
	if minor+2 < r.Newest {
		return false, eol // older than the three newest minors the table knows
	}
	if eol == "" {
		return true, ""
	}
	end, err := time.Parse(time.DateOnly, eol)
	if err != nil {
		return true, ""
	}
	return now.Before(end.AddDate(0, 0, 1)), eol
}

// Maintained lists the minors maintained on a day, for messages.
func (r ReleaseTable) Maintained(now time.Time) string {
	var out []string
	for m := r.Newest - 2; m <= r.Newest; m++ {
		if ok, _ := r.Support(version.MajorMinor(1, m), now); ok {
			out = append(out, fmt.Sprintf("1.%d", m))
		}
	}
	return strings.Join(out, ", ")
}

func (r ReleaseTable) unsupported(what string, v *version.Version, now time.Time) (string, bool) {
	ok, eol := r.Support(v, now)
	if ok {
		return "", false
	}
	msg := fmt.Sprintf("%s %s is no longer maintained upstream", what, v.String())
	if eol != "" {
		msg += " (end of life " + eol + ")"
	}
	return msg + fmt.Sprintf(": no security fixes; maintained are %s (table of %s)", r.Maintained(now), r.Updated), true
}

// parseVersion reads "v1.30.2", "1.30.2-gke.1", "v1.30.2+k3s1". A build
// without version stamping reports v0.0.0-master: that is no version.
func parseVersion(s string) *version.Version {
	v, err := version.ParseGeneric(strings.TrimSpace(s))
	if err != nil || v.Major() == 0 {
		return nil
	}
	return v
}

// KubernetesVersionUnsupported reports a control plane running a Kubernetes
// minor that upstream no longer maintains.
//
// Reads: the API server's version in a cluster scan; otherwise the image
// tags of kube-apiserver, kube-controller-manager and kube-scheduler
// containers, and kubeadm's ClusterConfiguration kubernetesVersion.
var KubernetesVersionUnsupported = &check.Check{
	Meta: check.Meta{
		ID:       "kubernetes-version-unsupported",
		Title:    "Kubernetes version is no longer maintained",
		Severity: check.High,
		Category: check.CategoryControlPlane,
		Rationale: "Upstream maintains the three newest minor releases for about 14 months each; an older control " +
			"plane gets no fixes for vulnerabilities found since.",
		Fix:   "Upgrade one minor at a time to a maintained release (see https://kubernetes.io/releases/).",
		Reads: []string{"the API server's /version (cluster scans)", "kube-apiserver, kube-controller-manager and kube-scheduler image tags", "ClusterConfiguration kubernetesVersion"},
		Refs:  []check.Reference{check.NSA("Upgrading and application security practices")},
	},
	Needs: componentKinds,
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		return versionUnsupported(ctx, inv, time.Now())
	},
}

func versionUnsupported(ctx *check.Context, inv *inventory.Inventory, now time.Time) []check.Result {
	if sv := parseVersion(ctx.Options.ServerVersion); sv != nil {
		if msg, bad := Releases.unsupported("the API server runs", sv, now); bad {
			return []check.Result{{Object: clusterObject(inv), Message: msg}}
		}
		return nil
	}
	var out []check.Result
	for _, o := range objectsOf(inv) {
		if o.GroupKind() == kindClusterConfiguration {
			if o.Raw == nil {
				continue
			}
			kv, _ := o.Raw.Object["kubernetesVersion"].(string)
			if v := parseVersion(kv); v != nil {
				if msg, bad := Releases.unsupported("kubeadm installs", v, now); bad {
					out = append(out, check.Result{Object: o, Path: fieldpath.New("kubernetesVersion"), Message: msg})
				}
			}
			continue
		}
		if o.Controller != nil {
			continue
		}
		for _, p := range o.Pods() {
			for _, c := range p.Containers() {
				name, tag := imageTag(c.Image)
				if !controlPlaneImages[name] {
					continue
				}
				if v := parseVersion(tag); v != nil {
					if msg, bad := Releases.unsupported(fmt.Sprintf("container %q runs %s", c.Name, name), v, now); bad {
						out = append(out, check.Result{Object: o, Path: c.Path.Child("image"), Message: msg})
					}
				}
			}
		}
	}
	return out
}

var controlPlaneImages = map[string]bool{"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true}

// imageTag returns an image's last path element and tag.
func imageTag(image string) (name, tag string) {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndexByte(image, '/')
	name = image[slash+1:]
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag
}

// clusterObject stands for the cluster itself: a cluster scan's findings
// about the API server's own version have no object of their own.
func clusterObject(inv *inventory.Inventory) *inventory.Object {
	name := ""
	for _, o := range inv.All() {
		if o.Source.Cluster != "" {
			name = o.Source.Cluster
			break
		}
	}
	if name == "" {
		name = "cluster"
	}
	return &inventory.Object{Ref: inventory.Ref{Kind: "Cluster", Name: name}, Source: inventory.Source{Cluster: name}}
}

// KubeletVersionSkew reports Nodes whose kubelet is outside the version
// skew policy (https://kubernetes.io/releases/version-skew-policy/, since
// 1.28): never newer than the API server, at most three minors older; and
// kubelets of a minor upstream no longer maintains.
//
// Reads: Node status.nodeInfo.kubeletVersion; the API server's version in a
// cluster scan, else the kube-apiserver image tag in the same scan.
var KubeletVersionSkew = &check.Check{
	Meta: check.Meta{
		ID:       "kubelet-version-skew",
		Title:    "Kubelet version is outside the supported skew or support window",
		Severity: check.Medium,
		Category: check.CategoryNode,
		Rationale: "A kubelet newer than the API server, or more than three minors older, runs an untested " +
			"combination; one of an unmaintained minor gets no security fixes.",
		Fix:   "Upgrade (or drain and replace) the node so its kubelet is the API server's minor or up to three older, and maintained.",
		Reads: []string{"Node status.nodeInfo.kubeletVersion", "the API server's /version (cluster scans)", "kube-apiserver image tag"},
		Refs:  []check.Reference{check.NSA("Upgrading and application security practices")},
	},
	// Pods: the kube-apiserver image tells the server version in a file scan.
	Needs: []schema.GroupKind{inventory.KindNode, inventory.KindPod},
	Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		return kubeletSkew(ctx, inv, time.Now())
	},
}

func kubeletSkew(ctx *check.Context, inv *inventory.Inventory, now time.Time) []check.Result {
	server := parseVersion(ctx.Options.ServerVersion)
	if server == nil {
		// No server version (a file scan, or an unstamped build): the
		// kube-apiserver image of the same scan tells it.
		for _, o := range inv.ByKind(inventory.KindPod) {
			for _, p := range o.Pods() {
				for _, c := range p.Containers() {
					if name, tag := imageTag(c.Image); name == "kube-apiserver" {
						server = parseVersion(tag)
					}
				}
			}
		}
	}
	var out []check.Result
	for _, o := range inv.ByKind(inventory.KindNode) {
		n, ok := o.Typed.(*corev1.Node)
		if !ok {
			continue
		}
		kv := parseVersion(n.Status.NodeInfo.KubeletVersion)
		if kv == nil {
			continue
		}
		at := fieldpath.New("status", "nodeInfo", "kubeletVersion")
		switch {
		case server != nil && kv.Major() == server.Major() && kv.Minor() > server.Minor():
			out = append(out, check.Result{Path: at, Object: o, Severity: check.High,
				Message: fmt.Sprintf("kubelet %s is newer than the API server %s: kubelets must never be newer", kv, server)})
		case server != nil && kv.Major() == server.Major() && kv.Minor()+3 < server.Minor():
			out = append(out, check.Result{Path: at, Object: o,
				Message: fmt.Sprintf("kubelet %s is %d minors older than the API server %s: at most 3 are supported", kv, server.Minor()-kv.Minor(), server)})
		default:
			if msg, bad := Releases.unsupported("kubelet", kv, now); bad {
				out = append(out, check.Result{Path: at, Object: o, Message: msg})
			}
		}
	}
	return out
}

func init() { check.Register(KubernetesVersionUnsupported, KubeletVersionSkew) }
