package image

import (
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// pod returns a Pod manifest whose containers use the images, in order.
func pod(name string, images ...string) string {
	s := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  containers:\n"
	for i, im := range images {
		s += "  - {name: c" + string(rune('0'+i)) + ", image: '" + im + "'}\n"
	}
	return s
}

// signed returns the facts of an image whose signatures had these
// outcomes under policy "acme".
func signed(outcomes ...facts.Outcome) *facts.Facts {
	v := facts.SignatureVerdict{Policy: "acme", Signers: []string{"keyless release@acme.example (issuer https://token.actions.githubusercontent.com)"}}
	for _, o := range outcomes {
		s := facts.Signature{Layout: facts.LayoutCosignTag, Outcome: o, Identity: "someone@" + string(o) + ".example"}
		if o != facts.Trusted {
			s.Problem = "problem " + string(o)
		}
		v.Found = append(v.Found, s)
	}
	return &facts.Facts{Name: "ghcr.io/acme/app", Digest: "sha256:" + hex64, Policies: []string{"acme"}, Signatures: []facts.SignatureVerdict{v}}
}

// attested returns the facts of an image with one required attestation
// found with these outcomes (and, for trusted ones, these failures).
func attested(failures []string, outcomes ...facts.Outcome) *facts.Facts {
	v := facts.AttestationVerdict{Policy: "acme", Name: "slsa-provenance"}
	for _, o := range outcomes {
		a := facts.Attestation{Signature: facts.Signature{Layout: facts.LayoutCosignTag, Outcome: o, Identity: "ci@acme.example"}, PredicateType: "https://slsa.dev/provenance/v1"}
		if o == facts.Trusted {
			a.Failures = failures
		} else {
			a.Problem = "problem " + string(o)
		}
		v.Found = append(v.Found, a)
	}
	return &facts.Facts{Name: "ghcr.io/acme/app", Digest: "sha256:" + hex64, Policies: []string{"acme"}, Attestations: []facts.AttestationVerdict{v}}
}

// one is a fixture of a pod running one image with these facts.
func one(name string, want bool, f *facts.Facts) checktest.Fixture {
	fx := checktest.Fixture{Name: name, YAML: pod("p", "ghcr.io/acme/app:1"), Images: imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": f})}
	if want {
		fx.Want = []string{"Pod/p spec.containers[0].image"}
	}
	return fx
}
