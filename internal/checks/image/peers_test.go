package image

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestPeerFixtures runs other tools' own fixtures (testdata/peers, see its
// README) through the loader and one check, and compares the objects it
// reports with the tool's expected verdict. Where kubeward judges
// otherwise on purpose, the row says why.
func TestPeerFixtures(t *testing.T) {
	kyvernoRegistries := allowing("eu.foo.io", "bar.io")
	private := check.DefaultOptions()
	private.PrivateRegistries = []string{"docker.io"}
	for _, tt := range []struct {
		file  string
		check *check.Check
		opts  *check.Options
		fail  []string // objects reported, "Kind/name"; every other one passes
	}{
		// kube-linter's bats test counts two reports, the Deployment and
		// the OpenShift DeploymentConfig, whose pod template kubeward
		// judges too (inventory's workload custom resources).
		{"kube-linter-latest-tag.yml", LatestTag, nil, []string{"Deployment/app", "DeploymentConfig/app"}},
		// kube-linter fires on fire-tag-only and fire-no-tag; kubeward
		// reports an untagged image once, as latest (image-latest-tag).
		{"kube-linter-image-not-pinned-by-digest.yml", NoDigest, nil, []string{"Deployment/fire-tag-only"}},
		{"kube-linter-image-not-pinned-by-digest.yml", LatestTag, nil, []string{"Deployment/fire-no-tag"}},
		// dont-fire's app@sha256:abc123def456 is no digest (sha256 has 64
		// hex digits): the kubelet refuses it (InvalidImageName), so it is
		// reported rather than passed as pinned.
		{"kube-linter-image-not-pinned-by-digest.yml", InvalidReference, nil, []string{"Deployment/dont-fire"}},
		// kyverno-test.yaml: fail for badpod01, badpod02, baddeployment01
		// (no tag) and vit-badpod01, vit-badpod02, vit-baddeployment01
		// (latest); pass for myapp-pod and gooddeployment01.
		{"kyverno-disallow-latest-tag.yaml", LatestTag, nil, []string{
			"Deployment/baddeployment01", "Deployment/vit-baddeployment01",
			"Pod/badpod01", "Pod/badpod02", "Pod/vit-badpod01", "Pod/vit-badpod02",
		}},
		// The chainsaw test applies these with the policy enforced: the
		// good pods are admitted, every bad one is denied.
		{"kyverno-restrict-image-registries-good-pods.yaml", RegistryNotAllowed, kyvernoRegistries, nil},
		{"kyverno-restrict-image-registries-bad-pod-notall.yaml", RegistryNotAllowed, kyvernoRegistries, []string{"Pod/badpod02-registry", "Pod/badpod03-registry"}},
		{"kyverno-restrict-image-registries-bad-podcontrollers.yaml", RegistryNotAllowed, kyvernoRegistries, []string{
			"CronJob/reqro-badcronjob01", "CronJob/reqro-badcronjob02", "CronJob/reqro-badcronjob03",
			"Deployment/reqro-baddeployment01", "Deployment/reqro-baddeployment02", "Deployment/reqro-baddeployment03",
		}},
		{"polaris-tagNotSpecified-failure.yaml", LatestTag, nil, []string{"Pod/nginx"}},
		{"polaris-tagNotSpecified-failure.latest.yaml", LatestTag, nil, []string{"Pod/nginx"}},
		{"polaris-tagNotSpecified-success.yaml", LatestTag, nil, nil},
		// Polaris fails both for not writing imagePullPolicy: Always; the
		// API server defaults an untagged image to Always, so even a
		// private one (docker.io listed as private here) passes.
		{"polaris-pullPolicyNotAlways-failure.yaml", PullPolicyNotAlways, private, nil},
		{"polaris-pullPolicyNotAlways-failure.cron-job.yaml", PullPolicyNotAlways, private, nil},
		{"checkov-ImageTagFixed-ephemeralContainer-ImageTagLatest-FAILED.yaml", LatestTag, nil, []string{"Pod/ephemeral-latest"}},
	} {
		t.Run(tt.check.ID+"/"+tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "peers", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			var got []string
			for _, f := range checktest.Run(t, string(data), tt.opts, tt.check) {
				if o := f.Object.Kind + "/" + f.Object.Name; !seen[o] {
					seen[o] = true
					got = append(got, o)
				}
			}
			sort.Strings(got)
			if fmt.Sprint(got) != fmt.Sprint(tt.fail) {
				t.Errorf("reported %q, want %q", got, tt.fail)
			}
		})
	}
}
