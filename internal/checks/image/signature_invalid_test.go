package image

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestSignatureInvalid(t *testing.T) {
	checktest.RunFixtures(t, SignatureInvalid, policyOptions(), []checktest.Fixture{
		one("a signature that does not verify fails", true, signed(facts.Invalid)),
		one("invalid outranks untrusted", true, signed(facts.Untrusted, facts.Invalid)),
		one("a trusted signature passes", false, signed(facts.Invalid, facts.Trusted)),
		one("another image's signature is another check's", false, signed(facts.Invalid, facts.OtherDigest)),
	})
}
