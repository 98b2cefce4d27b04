package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestScanClusterWorkloadCustomResources: a cluster that serves Argo
// Rollouts and Knative Revisions (their CRDs installed) has them listed
// and their pod specs judged (a Revision's at spec, where its RevisionSpec
// inlines it); a ReplicaSet the Rollout controls is judged through it,
// once. A cluster scan used to pass a privileged Rollout.
func TestScanClusterWorkloadCustomResources(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	k := newKube(t, c)
	ctx := context.Background()
	for _, y := range []string{`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {kind: Rollout, plural: rollouts, singular: rollout, listKind: RolloutList, shortNames: [ro]}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`,
		`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: revisions.serving.knative.dev}
spec:
  group: serving.knative.dev
  scope: Namespaced
  names: {kind: Revision, plural: revisions, singular: revision, shortNames: [rev]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}`,
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}",
		`apiVersion: serving.knative.dev/v1
kind: Revision
metadata: {name: hello-00001, namespace: shop}
spec:
  containerConcurrency: 0
  timeoutSeconds: 300
  containers:
  - image: ghcr.io/knative/helloworld-go:latest
    securityContext: {privileged: true}`,
		`apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext: {privileged: true}
  strategy: {canary: {steps: [{setWeight: 20}]}}`,
	} {
		k.mustCreate(ctx, c.Config, obj(t, y))
	}
	rollout := obj(t, "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}")
	ri, _, err := k.resource(c.Config, rollout)
	if err != nil {
		t.Fatal(err)
	}
	live, err := ri.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs := obj(t, `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d4f, namespace: shop, labels: {app: web, rollouts-pod-template-hash: 5d4f}}
spec:
  replicas: 0
  selector: {matchLabels: {app: web, rollouts-pod-template-hash: 5d4f}}
  template:
    metadata: {labels: {app: web, rollouts-pod-template-hash: 5d4f}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext: {privileged: true}`)
	rs.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "web", UID: live.GetUID(), Controller: new(true)}})
	k.mustCreate(ctx, c.Config, rs)

	// Knative's Deployment of a Revision runs its queue-proxy beside the
	// user's container: judged on its own, not through the Revision.
	revision := obj(t, "apiVersion: serving.knative.dev/v1\nkind: Revision\nmetadata: {name: hello-00001, namespace: shop}")
	revi, _, err := k.resource(c.Config, revision)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := revi.Get(ctx, "hello-00001", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep := obj(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: hello-00001-deployment, namespace: shop}
spec:
  replicas: 0
  selector: {matchLabels: {serving.knative.dev/revision: hello-00001}}
  template:
    metadata: {labels: {serving.knative.dev/revision: hello-00001}}
    spec:
      containers:
      - name: user-container
        image: ghcr.io/knative/helloworld-go:latest
        securityContext: {privileged: true}
      - name: queue-proxy
        image: gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:5e63873df82ae864bfd5267a0ec7c3ef87c38a04c5ec894100fc4d5c48720569`)
	dep.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "serving.knative.dev/v1", Kind: "Revision", Name: "hello-00001", UID: rev.GetUID(), Controller: new(true)}})
	k.mustCreate(ctx, c.Config, dep)

	code, r, raw := scanJSON(t, "--kubeconfig", c.Kubeconfig, "--checks", "pss-privileged")
	if code != ExitFindings || !r.has("pss-privileged", "Rollout/shop/web") {
		t.Fatalf("exit %d, want the privileged Rollout reported:\n%s", code, raw)
	}
	if !r.has("pss-privileged", "Revision/shop/hello-00001") {
		t.Errorf("the privileged Knative Revision was not reported:\n%s", raw)
	}
	for _, f := range r.Findings {
		if f.Object.Kind == "Rollout" && f.Path != "spec.template.spec.containers[0].securityContext.privileged" {
			t.Errorf("path %s", f.Path)
		}
		if f.Object.Kind == "Revision" && f.Path != "spec.containers[0].securityContext.privileged" {
			t.Errorf("path %s", f.Path)
		}
	}
	if !r.has("pss-privileged", "Deployment/shop/hello-00001-deployment") {
		t.Error("the Deployment of a Revision, which runs Knative's queue-proxy too, was not judged on its own")
	}
	if r.has("pss-privileged", "ReplicaSet/shop/web-5d4f") {
		t.Error("the Rollout's ReplicaSet was judged beside the Rollout")
	}

	code, out, stderr := runCLI(t, "images", "--cluster", "--kubeconfig", c.Kubeconfig)
	if code != ExitClean || !strings.Contains(out, "Rollout/shop/web containers[web]") || !strings.Contains(out, "Revision/shop/hello-00001 containers[user-container]") ||
		!strings.Contains(out, "Deployment/shop/hello-00001-deployment containers[queue-proxy]") {
		t.Errorf("images --cluster: exit %d\n%s%s", code, out, stderr)
	}
}
