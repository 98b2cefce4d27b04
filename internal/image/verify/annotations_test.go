package verify_test

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
)

// A signer with annotations trusts only signatures whose payload carries
// each of them with the same string value, as `cosign verify -a` and
// Kyverno's attestor annotations do: cosign signs them into the
// simple-signing payload's optional map (`cosign sign -a env=prod`).
// Other annotations may be present; a number never equals a string.
func TestSignerAnnotationsKey(t *testing.T) {
	e := setup(t)
	key, other := sigtest.NewKey(t), sigtest.NewKey(t)
	key.Write(t, e.dir, "cosign.pub")
	v := e.verifier(t, policy(e, config.ImageSigner{Key: "cosign.pub", Annotations: config.SignedAnnotations{"env": "prod", "build": "42"}}))
	vd := func(tag string, optionals ...map[string]any) facts.SignatureVerdict {
		t.Helper()
		d := e.image(t, "acme/app:"+tag)
		var layers []sigtest.Layer
		for _, o := range optionals {
			layers = append(layers, e.ss.SignKey(t, sigtest.PayloadWith(d, o), key, true))
		}
		sigtest.PushLayers(t, e.reg, d, ".sig", layers...)
		return only(t, e.judge(t, v, d))
	}

	good := vd("good", map[string]any{"env": "prod", "build": "42", "git-sha": "0a1b2c"})
	expect(t, good, facts.Trusted, "cosign.pub")
	if want := "key " + e.dir + "/cosign.pub"; !strings.HasPrefix(good.Signers[0], want) || !strings.HasSuffix(good.Signers[0], " with annotations build=42, env=prod") {
		t.Errorf("signers named %q", good.Signers)
	}

	staging := vd("staging", map[string]any{"env": "staging", "build": "42"})
	expect(t, staging, facts.Untrusted, `a signer of the policy, but annotation env is "staging", not "prod"`)
	if !strings.HasPrefix(staging.Found[0].Problem, "signed by key "+e.dir+"/cosign.pub (SHA256:") || !strings.HasPrefix(staging.Found[0].Identity, "key ") {
		t.Errorf("the finding does not name the signer: %+v", staging.Found[0])
	}
	expect(t, vd("none", nil), facts.Untrusted, `no annotation build (the policy requires "42"); no annotation env (the policy requires "prod")`)
	expect(t, vd("number", map[string]any{"env": "prod", "build": 42}), facts.Untrusted, `annotation build is 42, not the string "42"`)
	expect(t, vd("object", map[string]any{"env": map[string]any{"name": "prod"}, "build": "42"}), facts.Untrusted, `annotation env is a JSON object, not the string "prod"`)
	expect(t, vd("null", map[string]any{"env": nil, "build": "42"}), facts.Untrusted, `annotation env is null, not the string "prod"`)
	expect(t, vd("case", map[string]any{"env": "Prod", "build": "42"}), facts.Untrusted, `annotation env is "Prod", not "prod"`)

	// One signature with them among others without passes, as cosign
	// verify -a accepts an image when any signature qualifies.
	if mixed := vd("mixed", map[string]any{"env": "dev"}, map[string]any{"env": "prod", "build": "42"}); !mixed.Trusted() {
		t.Errorf("a qualifying signature among others: %+v", mixed.Found)
	}

	// What the signer wrote is bounded in the finding.
	huge := vd("huge", map[string]any{"env": strings.Repeat("\u202e", 1<<16), "build": "42"})
	if p := huge.Found[0].Problem; len(p) > 600 || !strings.Contains(p, "bytes)") || strings.Contains(p, "\u202e") {
		t.Errorf("unbounded or unescaped value: %d bytes: %.200q", len(p), p)
	}

	// Another key's signature with the right annotations is no better
	// than before: an untrusted signer.
	d := e.image(t, "acme/app:other")
	sigtest.PushLayers(t, e.reg, d, ".sig", e.ss.SignKey(t, sigtest.PayloadWith(d, map[string]any{"env": "prod", "build": "42"}), other, true))
	expect(t, only(t, e.judge(t, v, d)), facts.Untrusted, "which the policy does not list")

	// A copied signature names another digest: that outcome comes first.
	copied := e.image(t, "acme/app:copied")
	sigtest.PushLayers(t, e.reg, copied, ".sig", e.ss.SignKey(t, sigtest.PayloadWith(d, nil), key, true))
	expect(t, only(t, e.judge(t, v, copied)), facts.OtherDigest, d.DigestStr())
}

// Keyless signers take annotations too; another signer of the policy
// without them still vouches for the image.
func TestSignerAnnotationsKeyless(t *testing.T) {
	e := setup(t)
	prod := keyless(releaser)
	prod.Annotations = config.SignedAnnotations{"env": "prod"}
	v := e.verifier(t, policy(e, prod))
	d := e.image(t, "acme/app:v1")
	sigtest.PushLayers(t, e.reg, d, ".sig", e.ss.SignKeyless(t, sigtest.PayloadWith(d, map[string]any{"env": "prod"}), releaser, issuer))
	expect(t, only(t, e.judge(t, v, d)), facts.Trusted, releaser)

	dev := e.image(t, "acme/app:v2")
	sigtest.PushLayers(t, e.reg, dev, ".sig", e.ss.SignKeyless(t, sigtest.PayloadWith(dev, map[string]any{"env": "dev"}), releaser, issuer))
	expect(t, only(t, e.judge(t, v, dev)), facts.Untrusted, releaser+" (issuer "+issuer+"), a signer of the policy, but annotation env is \"dev\", not \"prod\"")

	// The same identity listed again without annotations accepts it.
	v2 := e.verifier(t, policy(e, prod, keyless(releaser)))
	expect(t, only(t, e.judge(t, v2, dev)), facts.Trusted, releaser)
}

// cosign 3 (`cosign sign`, new bundle format) signs the annotations into
// its signing statement, on the subject that names the image, and
// `cosign verify -a` reads them there.
func TestSignerAnnotationsReferrerBundle(t *testing.T) {
	e := setup(t)
	prod := keyless(releaser)
	prod.Annotations = config.SignedAnnotations{"env": "prod"}
	v := e.verifier(t, policy(e, prod))
	bundle := func(tag string, ann map[string]any) facts.SignatureVerdict {
		t.Helper()
		d := e.image(t, "acme/app:"+tag)
		sigtest.PushBundle(t, e.reg, d, e.ss.BundleKeyless(t, sigtest.SignStatement(d, ann), releaser, issuer), signStmt)
		vd := only(t, e.judge(t, v, d))
		if len(vd.Found) != 1 || vd.Found[0].Layout != facts.LayoutReferrer {
			t.Fatalf("%s: %+v", tag, vd.Found)
		}
		return vd
	}
	expect(t, bundle("prod", map[string]any{"env": "prod", "team": "web"}), facts.Trusted, releaser)
	expect(t, bundle("dev", map[string]any{"env": "dev"}), facts.Untrusted, `annotation env is "dev", not "prod"`)
	expect(t, bundle("none", nil), facts.Untrusted, `no annotation env`)
}

// Attestations carry no annotations (cosign signs none into an in-toto
// statement, and cosign verify-attestation checks none): the policy's
// signers vouch for them by identity, whatever annotations they require
// of signatures.
func TestSignerAnnotationsNotRequiredOfAttestations(t *testing.T) {
	e := setup(t)
	prod := keyless(releaser)
	prod.Annotations = config.SignedAnnotations{"env": "prod"}
	p := policy(e, prod)
	p.Attestations = []config.RequiredAttestation{{Type: "slsa-provenance", BuilderID: builderID}}
	v := e.verifier(t, p)
	d := e.image(t, "acme/app:v1")
	sigtest.PushLayers(t, e.reg, d, ".sig", e.ss.SignKeyless(t, sigtest.PayloadWith(d, map[string]any{"env": "prod"}), releaser, issuer))
	sigtest.PushLayers(t, e.reg, d, ".att", e.ss.AttestKeyless(t, sigtest.Statement(d, slsaV1, provenanceV1(builderID, "https://github.com/acme/app")), releaser, issuer))
	f := e.judge(t, v, d)
	expect(t, only(t, f), facts.Trusted, "")
	if len(f.Attestations) != 1 || !f.Attestations[0].Passed() {
		t.Fatalf("attestations: %+v", f.Attestations)
	}
}
