package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestDigestMismatch(t *testing.T) {
	checktest.RunFixtures(t, DigestMismatch, policyOptions(), []checktest.Fixture{
		one("a signature of another digest fails", true, signed(facts.OtherDigest, facts.Untrusted)),
		one("an attestation of another digest fails", true, attested(nil, facts.OtherDigest)),
		one("a trusted signature of this digest passes", false, signed(facts.OtherDigest, facts.Trusted)),
		one("an invalid signature is another check's", false, signed(facts.Invalid)),
	})
}
