package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestNoDigest(t *testing.T) {
	const digest = "@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"
	checktest.RunFixtures(t, NoDigest, nil, []checktest.Fixture{{
		Name: "a tag without a digest is noted",
		YAML: pod("p", "nginx:1.27", "ghcr.io/org/app:v1"+digest),
		Want: []string{"Pod/p spec.containers[0].image"},
	}, {
		Name: "no tag and latest are left to image-latest-tag; invalid references to image-reference-invalid",
		YAML: pod("p", "nginx", "nginx:latest", "IMAGE_NAME"),
	}})
}
