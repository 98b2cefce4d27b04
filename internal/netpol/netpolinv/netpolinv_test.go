package netpolinv_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/netpolinv"
)

func decode(t *testing.T, yaml string) *inventory.Inventory {
	t.Helper()
	log := &diag.Log{}
	inv := inventory.NewInventory()
	(&manifest.Decoder{Log: log}).Decode(manifest.Input{Name: "dump.yaml", Data: []byte(yaml)}, inv.Add)
	for _, p := range log.Problems() {
		t.Fatalf("input problem: %s", p)
	}
	return inv
}

// pod is a running pod of a cluster dump (kubectl get pods -o yaml).
func pod(name, ip, owner string, labels ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: shop\n  labels: {%s}\n", name, strings.Join(labels, ", "))
	if owner != "" {
		kind, oname, _ := strings.Cut(owner, "/")
		apiVersion := "apps/v1"
		if kind == "Job" {
			apiVersion = "batch/v1"
		}
		fmt.Fprintf(&b, "  ownerReferences: [{apiVersion: %s, kind: %s, name: %s, uid: u-%s, controller: true}]\n", apiVersion, kind, oname, oname)
	}
	fmt.Fprintf(&b, "spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}\nstatus: {podIP: %s}\n", ip)
	return b.String()
}

func ids(m *netpolinv.Model) []string {
	var out []string
	for _, p := range m.Input.Pods {
		out = append(out, fmt.Sprintf("%s %v", (&p).ID(), p.IPs))
	}
	slices.Sort(out)
	return out
}

// A cluster dump without the controllers: the pods of one workload are one
// workload, named as Kubernetes names what it creates.
func TestBuildGroupsPodsByOwner(t *testing.T) {
	dump := pod("web-5d4f8b-a1", "10.0.0.1", "ReplicaSet/web-5d4f8b", "app: web", "pod-template-hash: 5d4f8b") +
		pod("web-5d4f8b-a2", "10.0.0.2", "ReplicaSet/web-5d4f8b", "app: web", "pod-template-hash: 5d4f8b") +
		// A rollout in progress: the next ReplicaSet of the same Deployment.
		pod("web-77c9d-b1", "10.0.0.3", "ReplicaSet/web-77c9d", "app: web", "pod-template-hash: 77c9d") +
		pod("db-0", "10.0.1.1", "StatefulSet/db", "app: db", "statefulset.kubernetes.io/pod-name: db-0", "apps.kubernetes.io/pod-index: '0'") +
		pod("db-1", "10.0.1.2", "StatefulSet/db", "app: db", "statefulset.kubernetes.io/pod-name: db-1", "apps.kubernetes.io/pod-index: '1'") +
		// A ReplicaSet of its own: no hash suffix to strip.
		pod("solo-x", "10.0.2.1", "ReplicaSet/solo", "app: solo") +
		pod("debug", "10.0.3.1", "", "run: debug")
	m := netpolinv.Build(decode(t, dump))
	want := []string{
		"shop/Deployment/web [10.0.0.1 10.0.0.2 10.0.0.3]",
		"shop/Pod/debug [10.0.3.1]",
		"shop/ReplicaSet/solo [10.0.2.1]",
		"shop/StatefulSet/db [10.0.1.1 10.0.1.2]",
	}
	if got := ids(m); !slices.Equal(got, want) {
		t.Errorf("workloads\n got %q\nwant %q", got, want)
	}
	// The grouped workload keeps the labels policies can select on.
	for _, p := range m.Input.Pods {
		if p.Name == "web" && (p.Labels["app"] != "web" || p.Labels["pod-template-hash"] != "") {
			t.Errorf("web's labels %v", p.Labels)
		}
	}
}

// A policy that tells the pods of a workload apart keeps them apart: the
// grouping never changes what the engine decides.
func TestBuildKeepsPodsAPolicyTellsApart(t *testing.T) {
	dump := pod("db-0", "10.0.1.1", "StatefulSet/db", "app: db", "statefulset.kubernetes.io/pod-name: db-0") +
		pod("db-1", "10.0.1.2", "StatefulSet/db", "app: db", "statefulset.kubernetes.io/pod-name: db-1") +
		`---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: primary-only, namespace: shop}
spec:
  podSelector: {matchLabels: {statefulset.kubernetes.io/pod-name: db-0}}
  ingress: [{from: [{podSelector: {}}]}]
`
	m := netpolinv.Build(decode(t, dump))
	want := []string{"shop/Pod/db-0 [10.0.1.1]", "shop/Pod/db-1 [10.0.1.2]"}
	if got := ids(m); !slices.Equal(got, want) {
		t.Errorf("workloads\n got %q\nwant %q", got, want)
	}
	e := netpol.New(m.Input)
	for i, p := range e.Pods() {
		if isolated := e.Isolated(i, netpol.Ingress); isolated != (p.Name == "db-0") {
			t.Errorf("%s isolated for ingress: %v", p.Name, isolated)
		}
	}
}

// kubectl get deploy,pods: the ReplicaSet is missing, the Deployment is
// there; its pods are folded into it, not listed beside it.
func TestBuildFoldsPodsIntoTheirDeployment(t *testing.T) {
	dump := pod("web-5d4f8b-a1", "10.0.0.1", "ReplicaSet/web-5d4f8b", "app: web", "pod-template-hash: 5d4f8b") + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
`
	if got := ids(netpolinv.Build(decode(t, dump))); !slices.Equal(got, []string{"shop/Deployment/web [10.0.0.1]"}) {
		t.Errorf("workloads %q", got)
	}
}

// A Knative Revision's Deployment runs Knative's queue-proxy beside the
// Revision's containers, with labels Knative adds: its pods are the
// Deployment's, judged on their own (inventory.JudgedThrough), not folded
// into the Revision, whose spec and labels are not what runs.
func TestBuildKeepsARevisionsDeployment(t *testing.T) {
	dump := pod("hello-00001-deployment-5d4f8b-a1", "10.0.0.1", "ReplicaSet/hello-00001-deployment-5d4f8b",
		"serving.knative.dev/revision: hello-00001", "pod-template-hash: 5d4f8b") + `---
apiVersion: serving.knative.dev/v1
kind: Revision
metadata: {name: hello-00001, namespace: shop, uid: u-rev}
spec:
  containers: [{image: x}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-00001-deployment
  namespace: shop
  ownerReferences: [{apiVersion: serving.knative.dev/v1, kind: Revision, name: hello-00001, uid: u-rev, controller: true}]
spec:
  selector: {matchLabels: {serving.knative.dev/revision: hello-00001}}
  template:
    metadata: {labels: {serving.knative.dev/revision: hello-00001}}
    spec: {containers: [{name: user-container, image: x}, {name: queue-proxy, image: q}]}
`
	got := ids(netpolinv.Build(decode(t, dump)))
	if !slices.Contains(got, "shop/Deployment/hello-00001-deployment [10.0.0.1]") {
		t.Errorf("workloads %q, want the Revision's Deployment with its pod's IP", got)
	}
}
