package image

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/scan"
)

// triggerFixture reads a manifest of OpenShift's own sources
// (internal/cli/testdata/openshift-triggers/README.md).
func triggerFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cli", "testdata", "openshift-triggers", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTriggeredImagesNotJudgedByPlaceholder: an image an OpenShift image
// trigger writes (a DeploymentConfig's ImageChange trigger, the
// image.openshift.io/triggers annotation) is the ImageStreamTag's, by
// digest: the value written (" ", "", the stream's name, a tag) gives no
// reference finding. A container no trigger names is judged, a trigger
// OpenShift cannot read leaves the written image judged, and a
// non-automatic DeploymentConfig trigger resolved before leaves the
// written image to run. Before, every placeholder was a finding.
func TestTriggeredImagesNotJudgedByPlaceholder(t *testing.T) {
	opts := check.DefaultOptions()
	opts.AllowedRegistries = []string{"quay.io"}
	checks := []*check.Check{InvalidReference, LatestTag, NoDigest, RegistryNotAllowed}
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"dc empty and blank placeholders", triggerFixture(t, "deployment-image-resolution.yaml"), nil},
		{"dc written tag replaced", triggerFixture(t, "recreate-example.yaml"), nil},
		{"oc new-app annotation", triggerFixture(t, "new-app-redis.yaml"), nil},
		{"sidecar no trigger names", triggerFixture(t, "new-app-redis-sidecar.yaml"), []string{
			"Deployment/redis-sidecar spec.template.spec.containers[0].image", // latest
			"Deployment/redis-sidecar spec.template.spec.containers[0].image", // docker.io not allowed
		}},
		{"paused as a string: no trigger fires", triggerFixture(t, "paused-string.yaml"), []string{
			"Deployment/redis-paused-string spec.template.spec.containers[0].image",
		}},
		{"paused trigger", strings.Replace(triggerFixture(t, "new-app-redis.yaml"), `.image"}]`, `.image","paused":true}]`, 1), []string{
			"Deployment/redis spec.template.spec.containers[0].image",
		}},
		{"annotation on a Job: OpenShift does not resolve it", `apiVersion: batch/v1
kind: Job
metadata:
  name: j
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"app:latest"},"fieldPath":"spec.template.spec.containers[0].image"}]'
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: app, image: app}]
`, []string{"Job/j spec.template.spec.containers[0].image", "Job/j spec.template.spec.containers[0].image"}},
		{"cronjob annotation by index, init container by name", `apiVersion: batch/v1
kind: CronJob
metadata:
  name: c
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"app:latest"},"fieldPath":"spec.jobTemplate.spec.template.spec.containers[0].image"},{"from":{"kind":"ImageStreamTag","name":"init:1"},"fieldPath":"spec.jobTemplate.spec.template.spec.initContainers[?(@.name==\"setup\")].image"}]'
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          initContainers: [{name: setup, image: " "}]
          containers: [{name: app, image: app}]
`, nil},
		{"dc not automatic, resolved before: the written image runs", `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: manual}
spec:
  template:
    spec:
      containers: [{name: web, image: "web:latest"}]
  triggers:
  - type: ImageChange
    imageChangeParams: {automatic: false, containerNames: [web], lastTriggeredImage: "web:latest", from: {kind: ImageStreamTag, name: "web:latest"}}
`, []string{"DeploymentConfig/manual spec.template.spec.containers[0].image", "DeploymentConfig/manual spec.template.spec.containers[0].image"}},
		{"dc not automatic, never resolved: cannot roll out with the written image", `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: manual}
spec:
  template:
    spec:
      containers: [{name: web, image: " "}]
  triggers:
  - type: ImageChange
    imageChangeParams: {automatic: false, containerNames: [web], from: {kind: ImageStreamTag, name: "web:latest"}}
`, nil},
		{"dc written digest: judged", `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: live, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: "image-registry.openshift-image-registry.svc:5000/shop/web@sha256:` + hex64 + `"}]
  triggers:
  - type: ImageChange
    imageChangeParams: {automatic: true, containerNames: [web], from: {kind: ImageStreamTag, name: "web:latest"}}
`, []string{"DeploymentConfig/live spec.template.spec.containers[0].image"}}, // registry not allowed
	} {
		t.Run(tc.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tc.yaml, opts, checks...), tc.want...)
		})
	}
}

// TestTriggeredImageIsAGap: the registry allowlist and the image facts
// (scan --images) cannot judge an ImageStreamTag offline: a coverage gap
// naming the trigger, never a pass and never a finding about the
// placeholder (before, " " was looked up and image-unverified fired).
func TestTriggeredImageIsAGap(t *testing.T) {
	opts := policyOptions()
	opts.AllowedRegistries = []string{"quay.io"}
	set := imageSet(map[string]*facts.Facts{" ": {Name: " ", Error: "could not parse reference:  "}})
	res := checktest.RunImagesResult(t, triggerFixture(t, "deployment-image-resolution.yaml"), opts, set, Unverified, RegistryNotAllowed)
	checktest.Expect(t, res.Findings)
	gap := coverageGap(res, GapImageStreamTag)
	if gap == nil {
		t.Fatalf("no %s gap in the coverage: %+v", GapImageStreamTag, res.Coverage)
	}
	if !slices.Equal(gap.Objects, []string{"DeploymentConfig/deployment-image-resolution"}) ||
		!strings.Contains(gap.Reason, "ImageStreamTag deployment-image-resolution:") {
		t.Errorf("gap objects %v, reason %q", gap.Objects, gap.Reason)
	}
}

// coverageGap is the gap of a scan's coverage with this id, or nil.
func coverageGap(res *scan.Result, id string) *scan.Gap {
	for i := range res.Coverage {
		if res.Coverage[i].ID == id {
			return &res.Coverage[i]
		}
	}
	return nil
}
