package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// imageSet builds image facts keyed by reference.
func imageSet(fs map[string]*facts.Facts) *facts.Set {
	s := facts.NewSet()
	for ref, f := range fs {
		s.Add(ref, f)
	}
	return s
}

// policyOptions are the options of a configuration with image policies.
func policyOptions() *check.Options {
	opts := check.DefaultOptions()
	opts.ImagePolicies = true
	return opts
}

func TestUnverified(t *testing.T) {
	down := &facts.Facts{Name: "ghcr.io/acme/app", Error: "registry ghcr.io did not answer within 30s"}
	ok := &facts.Facts{Name: "ghcr.io/acme/ok", Digest: "sha256:" + hex64}
	checktest.RunFixtures(t, Unverified, policyOptions(), []checktest.Fixture{{
		Name:   "an image the registry did not answer for fails",
		YAML:   pod("p", "ghcr.io/acme/ok:1", "ghcr.io/acme/app:1"),
		Images: imageSet(map[string]*facts.Facts{"ghcr.io/acme/ok:1": ok, "ghcr.io/acme/app:1": down}),
		Want:   []string{"Pod/p spec.containers[1].image"},
	}, {
		Name:   "images that were read pass",
		YAML:   pod("p", "ghcr.io/acme/ok:1"),
		Images: imageSet(map[string]*facts.Facts{"ghcr.io/acme/ok:1": ok}),
	}})
	set := imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": down})
	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), set, Unverified)
	if len(fs) != 1 || fs[0].Severity != check.Critical || fs[0].Image != "ghcr.io/acme/app:1" {
		t.Fatalf("deny: %+v", fs)
	}
	opts := policyOptions()
	opts.ImageOnRegistryError = "warn"
	fs = checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), opts, set, Unverified)
	if len(fs) != 1 || fs[0].Severity != check.Medium {
		t.Fatalf("warn: %+v", fs)
	}
	// Without facts (no registry access) the check does not run at all,
	// nor without an image policy asking for them.
	if fs := checktest.Run(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), Unverified); len(fs) != 0 {
		t.Fatalf("ran without facts: %+v", fs)
	}
	if fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), nil, set, Unverified); len(fs) != 0 {
		t.Fatalf("ran without an image policy: %+v", fs)
	}
}

const hex64 = "fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"
