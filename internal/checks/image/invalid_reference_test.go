package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestInvalidReference(t *testing.T) {
	checktest.RunFixtures(t, InvalidReference, nil, []checktest.Fixture{{
		Name: "valid references pass",
		YAML: pod("p", "nginx", "localhost:5000/a/b:c", "quay.io/x/y:1.0"),
	}, {
		Name: "invalid references and placeholders are reported",
		YAML: pod("p", "nginx:", "${IMAGE}", "MyApp:1"),
		Want: []string{"Pod/p spec.containers[0].image", "Pod/p spec.containers[1].image", "Pod/p spec.containers[2].image"},
	}, {
		Name: "an ephemeral container's too",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: nginx}]
  ephemeralContainers: [{name: debug, image: "Busybox:1.36"}]`,
		Want: []string{"Pod/p spec.ephemeralContainers[0].image"},
	}})
	fs := checktest.Run(t, pod("p", "nginx:", "<REPO>/app:1.0"), nil, InvalidReference)
	if len(fs) != 2 || fs[0].Severity != check.Low || fs[1].Severity != check.Info {
		t.Fatalf("findings = %+v, want a low one and an informational placeholder", fs)
	}
}
