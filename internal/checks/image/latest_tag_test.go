package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestLatestTag(t *testing.T) {
	const digest = "@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"
	checktest.RunFixtures(t, LatestTag, nil, []checktest.Fixture{{
		Name: "no tag and latest fail, with or without a registry port",
		YAML: pod("p", "nginx", "nginx:latest", "localhost:5000/app", "registry.example.com:5000/team/app:latest"),
		Want: []string{
			"Pod/p spec.containers[0].image", "Pod/p spec.containers[1].image",
			"Pod/p spec.containers[2].image", "Pod/p spec.containers[3].image",
		},
	}, {
		Name: "a version tag or a digest passes, latest with a digest too",
		YAML: pod("p", "nginx:1.27", "localhost:5000/app:v1", "nginx"+digest, "nginx:latest"+digest, "app:latest-2024"),
	}, {
		Name: "init containers are checked, invalid references are not",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers: [{name: init, image: busybox}]
      containers: [{name: a, image: "${IMAGE}"}, {name: b, image: ""}]`,
		Want: []string{"Deployment/d spec.template.spec.initContainers[0].image"},
	}, {
		// Checkov's example_ImageTagFixed/ephemeralContainer-ImageTagLatest-FAILED.yaml.
		Name: "ephemeral containers are checked",
		YAML: `apiVersion: v1
kind: Pod
metadata:
  name: ephemeral-latest
spec:
  containers:
  - name: app
    image: nginx:1.27
  ephemeralContainers:
  - name: debugger
    image: busybox:latest`,
		Want: []string{"Pod/ephemeral-latest spec.ephemeralContainers[0].image"},
	}})
}

func TestLatestTagMessage(t *testing.T) {
	fs := checktest.Run(t, pod("p", "nginx"), nil, LatestTag)
	want := `container "c0": image "nginx" has no tag, so the kubelet pulls docker.io/library/nginx:latest`
	if len(fs) != 1 || fs[0].Message != want {
		t.Fatalf("findings = %+v, want %q", fs, want)
	}
}
