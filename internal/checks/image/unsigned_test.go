package image

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestUnsigned(t *testing.T) {
	checktest.RunFixtures(t, Unsigned, policyOptions(), []checktest.Fixture{
		one("no signature at all fails", true, signed()),
		one("a trusted signature passes", false, signed(facts.Trusted)),
		one("an untrusted signature is another check's", false, signed(facts.Untrusted)),
		one("an image no policy covers passes", false, &facts.Facts{Name: "ghcr.io/acme/app", Digest: "sha256:" + hex64}),
	})
	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": signed()}), Unsigned)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "policy acme requires one by keyless release@acme.example") {
		t.Fatalf("findings = %+v", fs)
	}
}

// TestRunningDigestIsJudged: a live pod runs an older digest than its tag
// names now; the signed tag does not hide the unsigned image that runs.
func TestRunningDigestIsJudged(t *testing.T) {
	old := "sha256:" + strings.Repeat("b", 64)
	live := pod("p", "ghcr.io/acme/app:1") + "status:\n  containerStatuses:\n  - {name: c0, image: 'ghcr.io/acme/app:1', imageID: 'ghcr.io/acme/app@" + old + "'}\n"
	running := signed()
	running.Digest = old
	set := imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": signed(facts.Trusted), "ghcr.io/acme/app@" + old: running})
	fs := checktest.RunImages(t, live, policyOptions(), set, Unsigned)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "judged: ghcr.io/acme/app@"+old+", which its pods run") || fs[0].Path != "spec.containers[0].image" {
		t.Fatalf("findings = %+v", fs)
	}
	// The same digest as the tag's is judged once.
	set = imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": running, "ghcr.io/acme/app@" + old: running})
	if fs := checktest.RunImages(t, live, policyOptions(), set, Unsigned); len(fs) != 1 || strings.Contains(fs[0].Message, "which its pods run") {
		t.Fatalf("findings = %+v", fs)
	}
}
