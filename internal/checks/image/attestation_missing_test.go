package image

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestAttestationMissing(t *testing.T) {
	checktest.RunFixtures(t, AttestationMissing, policyOptions(), []checktest.Fixture{
		one("no attestation fails", true, attested(nil)),
		one("only untrusted ones fail", true, attested(nil, facts.Untrusted, facts.Invalid)),
		one("a trusted one passes", false, attested(nil, facts.Trusted)),
		one("a trusted one failing its conditions is another check's", false, attested([]string{"builder id"}, facts.Trusted)),
		one("one of another digest is another check's", false, attested(nil, facts.OtherDigest)),
	})
	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": attested(nil, facts.Untrusted)}), AttestationMissing)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "1 found, none trusted: problem untrusted") {
		t.Fatalf("findings = %+v", fs)
	}
}
