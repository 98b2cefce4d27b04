package image

import (
	"testing"

	apicorev1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/core/v1"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	corev1 "k8s.io/api/core/v1"
)

func TestPullPolicyNotAlways(t *testing.T) {
	opts := check.DefaultOptions()
	opts.PrivateRegistries = []string{"registry.example.com"}
	checktest.RunFixtures(t, PullPolicyNotAlways, opts, []checktest.Fixture{{
		Name: "public images, Always and defaulted Always pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: nginx:1.27, imagePullPolicy: IfNotPresent}
  - {name: b, image: registry.example.com/app:1.0, imagePullPolicy: Always}
  - {name: c, image: registry.example.com/app}
  - {name: d, image: registry.example.com/app:latest}`,
	}, {
		Name: "private images that may come from the cache fail",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: registry.example.com/team/app:1.0}
      - {name: b, image: "registry.example.com/app@sha256:0123456789012345678901234567890123456789012345678901234567890123"}
      - {name: c, image: registry.example.com/app:latest, imagePullPolicy: Never}`,
		Want: []string{
			"Deployment/d spec.template.spec.containers[0].imagePullPolicy",
			"Deployment/d spec.template.spec.containers[1].imagePullPolicy",
			"Deployment/d spec.template.spec.containers[2].imagePullPolicy",
		},
	}, {
		Name: "imagePullSecrets mark every image of the pod private",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: creds}]
  initContainers: [{name: i, image: ghcr.io/acme/init:2, imagePullPolicy: IfNotPresent}]
  containers: [{name: a, image: ghcr.io/acme/app:2, imagePullPolicy: Always}]`,
		Want: []string{"Pod/p spec.initContainers[0].imagePullPolicy"},
	}})
}

// TestEffectivePullPolicyIsTheAPIServers compares the policy the check
// judges with the API server's own defaulting (SetDefaults_Container, copied
// from k8s.io/kubernetes): Always only for :latest or no tag and no digest,
// so a tag with a digest, a digest alone and latest@digest are judged as
// the server stores them. Checkov's CKV_K8S_15, which strips the digest
// first, treats app@sha256:... as Always and latest@sha256:... as Always too.
func TestEffectivePullPolicyIsTheAPIServers(t *testing.T) {
	const d = "@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"
	for _, im := range []string{"nginx", "nginx:latest", "nginx:1.27", "nginx:Latest", "nginx" + d, "nginx:1.27" + d, "nginx:latest" + d,
		"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:5000", "registry.example.com:8443/team/app", "library/nginx:latest-alpine"} {
		r, err := parseRef(im)
		if err != nil {
			t.Fatalf("parseRef(%q): %v", im, err)
		}
		c := corev1.Container{Image: im}
		apicorev1.SetDefaults_Container(&c)
		if got := effectivePullPolicy("", r); got != c.ImagePullPolicy {
			t.Errorf("%s: effective pull policy %s, the API server defaults to %s", im, got, c.ImagePullPolicy)
		}
		if got := effectivePullPolicy(corev1.PullNever, r); got != corev1.PullNever {
			t.Errorf("%s: a policy that is set is %s, want Never", im, got)
		}
	}
}
