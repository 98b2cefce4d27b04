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

	// The verifier's own wording of each kind of untrusted signer reads
	// once in the message, not "is signed by signed by".
	for _, problem := range []string{
		"signed by someone@else.example (issuer https://accounts.example), whom the policy does not trust",
		"signed with key SHA256:abc, which the policy does not list",
		`signed by release@acme.example (issuer https://token.actions.githubusercontent.com), a signer of the policy, but no annotation env (the policy requires "prod")`,
	} {
		f := signed(facts.Untrusted)
		f.Signatures[0].Found[0].Problem = problem
		fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), policyOptions(), imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": f}), SignatureUntrusted)
		want := `image "ghcr.io/acme/app:1": ` + problem + " (cosign tag); policy acme trusts keyless release@acme.example"
		if len(fs) != 1 || !strings.Contains(fs[0].Message, want) || strings.Count(fs[0].Message, "signed") != 1 {
			t.Errorf("want a message holding %q, got %+v", want, fs)
		}
	}
}
