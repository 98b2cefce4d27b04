package controlplane

import (
	"sort"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"k8s.io/apimachinery/pkg/util/version"
)

var tableDay = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestReleaseSupport(t *testing.T) {
	tests := []struct {
		v    string
		now  time.Time
		want bool
	}{
		{"v1.37.2", tableDay, true},
		{"v1.35.0", tableDay, true},
		{"v1.34.9", tableDay, false}, // end of life 2026-10-27
		{"v1.29.0", tableDay, false},
		{"v1.38.0", tableDay, true},                                      // newer than the table knows
		{"v1.35.9", time.Date(2027, 2, 28, 23, 0, 0, 0, time.UTC), true}, // last day
		{"v1.35.9", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"v2.0.0", tableDay, true},
	}
	for _, tt := range tests {
		if got, _ := Releases.Support(version.MustParseGeneric(tt.v), tt.now); got != tt.want {
			t.Errorf("%s on %s: supported = %v", tt.v, tt.now.Format(time.DateOnly), got)
		}
	}
	if got := Releases.Maintained(tableDay); got != "1.35, 1.36, 1.37" {
		t.Errorf("maintained = %q", got)
	}
}

func TestVersionUnsupportedFromFiles(t *testing.T) {
	yaml := `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - {name: kube-apiserver, image: "registry.k8s.io/kube-apiserver:v1.30.4", command: [kube-apiserver]}
  - {name: sidecar, image: "example.com/kube-apiserver-exporter:v1.0.0"}
---
apiVersion: v1
kind: Pod
metadata: {name: kube-scheduler, namespace: kube-system}
spec:
  containers:
  - {name: kube-scheduler, image: "registry.k8s.io/kube-scheduler:v1.37.2@sha256:0000000000000000000000000000000000000000000000000000000000000000"}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.31.0
`
	_, inv := checktest.RunResult(t, yaml, nil, KubernetesVersionUnsupported, KubeletVersionSkew)
	ctx := check.NewContext(nil)
	got := describeResults(versionUnsupported(ctx, inv, tableDay))
	want := []string{"ClusterConfiguration/ kubernetesVersion", "Pod/kube-apiserver spec.containers[0].image"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %q, want %q", got, want)
	}
	// In a cluster scan the server's own version decides, once.
	ctx = check.NewContext(&check.Options{ServerVersion: "v1.32.1"})
	if got := describeResults(versionUnsupported(ctx, inv, tableDay)); len(got) != 1 || got[0] != "Cluster/cluster" {
		t.Errorf("cluster scan: %q", got)
	}
	ctx = check.NewContext(&check.Options{ServerVersion: "v1.37.2"})
	if got := versionUnsupported(ctx, inv, tableDay); len(got) != 0 {
		t.Errorf("a maintained server: %+v", got)
	}
	// An unstamped build's version says nothing: the images decide.
	ctx = check.NewContext(&check.Options{ServerVersion: "v0.0.0-master+$Format:%H$"})
	if got := versionUnsupported(ctx, inv, tableDay); len(got) != 2 {
		t.Errorf("unstamped server: %+v", got)
	}
}

func TestKubeletSkew(t *testing.T) {
	node := func(name, v string) string {
		return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + "}\nstatus: {nodeInfo: {kubeletVersion: " + v + "}}\n---\n"
	}
	yaml := node("same", "v1.37.2") + node("newer", "v1.38.0") + node("three-older", "v1.34.3") +
		node("four-older", "v1.33.1") + node("gke", "v1.36.4-gke.100") + node("garbage", "unknown")
	_, inv := checktest.RunResult(t, yaml, nil, KubernetesVersionUnsupported, KubeletVersionSkew)
	ctx := check.NewContext(&check.Options{ServerVersion: "v1.37.2"})
	res := kubeletSkew(ctx, inv, tableDay)
	got := describeResults(res)
	want := []string{"Node/four-older status.nodeInfo.kubeletVersion", "Node/newer status.nodeInfo.kubeletVersion", "Node/three-older status.nodeInfo.kubeletVersion"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, r := range res {
		if r.Object.Name == "newer" && r.Severity != check.High {
			t.Error("a kubelet newer than the API server is high")
		}
	}
	// Without a server version only unmaintained kubelets are reported.
	got = describeResults(kubeletSkew(check.NewContext(nil), inv, tableDay))
	if len(got) != 2 {
		t.Errorf("without a server version: %q", got)
	}
}

// Without a server version the kube-apiserver image of the same scan
// tells it, also when the skew check is the only one selected (its Pods
// must then be read in full, not slimmed to their metadata).
func TestKubeletSkewFromImageAlone(t *testing.T) {
	yaml := `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system}
spec:
  containers:
  - {name: kube-apiserver, image: "registry.k8s.io/kube-apiserver:v1.37.2", command: [kube-apiserver]}
---
apiVersion: v1
kind: Node
metadata: {name: newer}
status: {nodeInfo: {kubeletVersion: v1.38.0}}
`
	fs := checktest.Run(t, yaml, nil, KubeletVersionSkew)
	checktest.Expect(t, fs, "Node/newer status.nodeInfo.kubeletVersion")
	if len(fs) == 1 && fs[0].Severity != check.High {
		t.Errorf("a kubelet newer than the API server image: %s", fs[0].Severity)
	}
}

func describeResults(rs []check.Result) []string {
	var out []string
	for _, r := range rs {
		s := r.Object.Kind + "/" + r.Object.Name
		if r.Path != nil {
			s += " " + r.Path.String()
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
