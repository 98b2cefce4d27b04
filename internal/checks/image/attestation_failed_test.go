package image

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

func TestAttestationFailed(t *testing.T) {
	wrong := []string{`builder id "https://evil.example" is not https://github.com/slsa-framework/...`}
	checktest.RunFixtures(t, AttestationFailed, policyOptions(), []checktest.Fixture{
		one("trusted provenance from another builder fails", true, attested(wrong, facts.Trusted)),
		one("trusted provenance meeting the conditions passes", false, attested(nil, facts.Trusted)),
		one("one good provenance is enough", false, &facts.Facts{Name: "ghcr.io/acme/app", Attestations: []facts.AttestationVerdict{{
			Policy: "acme", Name: "slsa-provenance", Found: append(attested(wrong, facts.Trusted).Attestations[0].Found, attested(nil, facts.Trusted).Attestations[0].Found...)}}}),
		one("untrusted provenance is another check's", false, attested(nil, facts.Untrusted)),
	})
	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": attested(wrong, facts.Trusted)}), AttestationFailed)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "evil.example") || !strings.Contains(fs[0].Message, "ci@acme.example") {
		t.Fatalf("findings = %+v", fs)
	}
}
