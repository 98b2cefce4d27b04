package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
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
