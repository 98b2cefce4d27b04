package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

func openshiftTriggers(name string) string {
	return filepath.Join("testdata", "openshift-triggers", name)
}

// TestScanOpenShiftImageTriggers scans manifests of OpenShift's own
// sources (testdata/openshift-triggers/README.md): the image reference
// checks judge what OpenShift runs, so the placeholders its image triggers
// replace give no finding (in a legacy "apiVersion: v1" DeploymentConfig
// too); a sidecar no trigger names is judged, and an
// annotation OpenShift cannot read ("paused":"false") is a warning at its
// line with the placeholder judged. Before, " ", "" and the tags the
// triggers replace were findings, and the unreadable annotation was silent.
func TestScanOpenShiftImageTriggers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, "scan", "--checks", "image-reference-invalid,image-latest-tag,image-no-digest", "-o", "json="+file, openshiftTriggers(""))
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Findings []struct {
			Check    string
			Object   struct{ Kind, Name string }
			Path     string
			Location struct {
				File string
				Line int
			}
		}
		Problems []struct {
			Level, File, Message string
			Line                 int
		}
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%s %s/%s %s %s:%d", f.Check, f.Object.Kind, f.Object.Name, f.Path, filepath.Base(f.Location.File), f.Location.Line))
	}
	sort.Strings(got)
	want := []string{
		"image-latest-tag Deployment/redis-sidecar spec.template.spec.containers[0].image new-app-redis-sidecar.yaml:29",
		"image-latest-tag DeploymentConfig/frontend spec.template.spec.containers[0].image custom-deployer.yaml:13",
		"image-reference-invalid Deployment/redis-paused-string spec.template.spec.containers[0].image paused-string.yaml:31",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	if len(r.Problems) != 1 || r.Problems[0].Level != "warning" || filepath.Base(r.Problems[0].File) != "paused-string.yaml" || r.Problems[0].Line != 5 {
		t.Errorf("problems %+v, want one warning at paused-string.yaml:5", r.Problems)
	}
}

// TestImagesOpenShiftImageTriggers: kubeward images lists an image a
// trigger writes as its ImageStreamTag (with what the manifest wrote),
// not as the placeholder, and a DeploymentConfig's custom deployer image,
// which OpenShift runs in each rollout's deployer pod.
func TestImagesOpenShiftImageTriggers(t *testing.T) {
	code, out, stderr := runCLI(t, "images", "-o", "json", openshiftTriggers(""))
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var r struct {
		Images []struct {
			Reference string
			From      *struct{ Kind, Namespace, Name string }
			Uses      []struct {
				Object        struct{ Kind, Name string }
				Container     string
				ContainerKind string
				Path          string
				Written       *string
				Line          int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, im := range r.Images {
		for _, u := range im.Uses {
			s := fmt.Sprintf("%q %s/%s %s[%s] %s:%d", im.Reference, u.Object.Kind, u.Object.Name, u.ContainerKind, u.Container, u.Path, u.Line)
			if im.From != nil {
				s += fmt.Sprintf(" from %s %s written %q", im.From.Kind, im.From.Name, *u.Written)
			}
			got = append(got, s)
		}
	}
	sort.Strings(got)
	want := []string{
		`" " Deployment/redis-paused-string containers[redis] spec.template.spec.containers[0].image:31`,
		`"ImageStreamTag deployment-image-resolution:direct" DeploymentConfig/deployment-image-resolution containers[second] spec.template.spec.containers[1].image:22 from ImageStreamTag deployment-image-resolution:direct written " "`,
		`"ImageStreamTag deployment-image-resolution:direct" DeploymentConfig/deployment-image-resolution-legacy containers[second] spec.template.spec.containers[1].image:22 from ImageStreamTag deployment-image-resolution:direct written " "`,
		`"ImageStreamTag deployment-image-resolution:pullthrough" DeploymentConfig/deployment-image-resolution containers[first] spec.template.spec.containers[0].image:16 from ImageStreamTag deployment-image-resolution:pullthrough written ""`,
		`"ImageStreamTag deployment-image-resolution:pullthrough" DeploymentConfig/deployment-image-resolution-legacy containers[first] spec.template.spec.containers[0].image:16 from ImageStreamTag deployment-image-resolution:pullthrough written ""`,
		`"ImageStreamTag recreate-example:latest" DeploymentConfig/recreate-example containers[deployment-example] spec.template.spec.containers[0].image:31 from ImageStreamTag recreate-example:latest written "openshift/deployment-example:v1"`,
		`"ImageStreamTag redis:latest" Deployment/redis containers[redis] spec.template.spec.containers[0].image:31 from ImageStreamTag redis:latest written " "`,
		`"ImageStreamTag redis:latest" Deployment/redis-sidecar containers[redis] spec.template.spec.containers[1].image:33 from ImageStreamTag redis:latest written " "`,
		`"busybox:latest" Deployment/redis-sidecar containers[metrics] spec.template.spec.containers[0].image:29`,
		`"openshift/origin-ruby-sample" DeploymentConfig/frontend containers[helloworld] spec.template.spec.containers[0].image:13`,
		`"organization/strategy" DeploymentConfig/frontend customDeployer[] spec.strategy.customParams.image:20`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("images:\n got %q\nwant %q", got, want)
	}
}
