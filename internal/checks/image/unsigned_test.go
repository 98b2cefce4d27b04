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
