package image

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestSignatureUntrusted(t *testing.T) {
	checktest.RunFixtures(t, SignatureUntrusted, policyOptions(), []checktest.Fixture{
		one("a signature by another identity fails", true, signed(facts.Untrusted)),
		one("a trusted signature among untrusted ones passes", false, signed(facts.Untrusted, facts.Trusted)),
		one("an altered signature is another check's", false, signed(facts.Untrusted, facts.Invalid)),
		one("no signature is another check's", false, signed()),
	})
	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": signed(facts.Untrusted)}), SignatureUntrusted)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "problem untrusted (cosign tag)") {
		t.Fatalf("the finding does not name the signer: %+v", fs)
	}
}
