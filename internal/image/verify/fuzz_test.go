package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// FuzzMaterial feeds hostile registry content to every parser of a
// signature or attestation: none may panic, whatever a registry serves.
// Seeds in testdata/fuzz/FuzzMaterial are what cosign and sigstore-go
// write (made with sigtest): tag-scheme signatures by key and keyless, a
// SLSA attestation envelope, and referrer bundles; and, named real-*,
// sigstore-go v1.3.0's real public-good bundles (its testdata and
// examples) with their certificates and log entries as cosign's
// annotations, and one such bundle sigstore-go refuses; real-cosign-* are
// cosign's own (testdata/cosign): a key signature's payload, Rekor bundle
// annotation and public key, and its v0.3 attestation bundle; the
// *-annotations seeds carry `cosign sign -a` annotations (strings, a
// number, an object, null) in a simple-signing payload and in a cosign 3
// signing statement's subject.
func FuzzMaterial(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`),
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"00"}}`, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
	f.Add([]byte(`{"critical":{"image":{"docker-manifest-digest":"sha256:00"}}}`), `{"Payload":{"body":"!!"}}`, "junk")
	want := map[string]string{"env": "prod", "build": "42"}
	f.Fuzz(func(t *testing.T, blob []byte, rekor, cert string) {
		m := bundleMaterial(blob)
		digests, _ := m.signedDigests()
		// The annotations a signer requires, read for the digests the
		// material names (so a signing statement's subject is found) and
		// for another.
		hashes := []v1.Hash{{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}}
		for _, d := range digests {
			if h, err := v1.NewHash(d); err == nil {
				hashes = append(hashes, h)
			}
		}
		for _, h := range hashes {
			_ = m.unmetAnnotations(want, h)
		}
		readCertificate(m.bundle)
		if st, err := envelopeStatement(blob); err == nil {
			provenance(st)
		}
		for _, dsse := range []bool{false, true} {
			l := &legacyLayer{payload: blob, dsse: dsse, annotations: map[string]string{
				annSignature: "AA==", annBundle: rekor, annCertificate: cert, annTimestamp: rekor}}
			b, _ := l.toBundle()
			readCertificate(b)
			lm := &material{legacy: l}
			_, _ = lm.signedDigests()
			_ = lm.unmetAnnotations(want, hashes[0])
		}
		_, _ = parsePublicKey([]byte(cert))
		_ = repository(rekor)
	})
}

// FuzzPolicy feeds configuration files to the image policy: what the
// configuration accepts must build (or be refused with an error) and
// match image names without panicking. Key paths resolve in a directory
// holding one real key; others are read within bounds or not found.
func FuzzPolicy(f *testing.F) {
	dir := f.TempDir()
	key := sigtest.NewKey(f)
	key.Write(f, dir, "cosign.pub")
	if err := os.WriteFile(filepath.Join(dir, "not-a-key.pub"), []byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	trusted := sigtest.New(f).TrustedRoot(f)
	f.Add([]byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
images:
  policies:
  - name: release
    images: ["ghcr.io/acme/**", "docker.io/library/*"]
    signers:
    - keyless: {issuer: https://token.actions.githubusercontent.com, subjectRegExp: "https://github.com/acme/.+/.github/workflows/release.yml@refs/tags/v.*"}
    - key: cosign.pub
      annotations: {env: prod, build: 42}
    attestations:
    - type: slsa-provenance
      builderIDRegExp: "https://github.com/slsa-framework/slsa-github-generator/.*"
      sourceRepository: https://github.com/acme/app
    - type: spdx
      signers: [{key: cosign.pub}]
    exceptions:
    - images: ["ghcr.io/acme/legacy"]
      checks: [image-unsigned]
      reason: migrating
      expires: "2027-01-01"
`), "ghcr.io/acme/app:1.0")
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  policies:\n  - images: [\"**\"]\n    transparencyLog: false\n    signers: [{key: /dev/zero}]\n"), "nginx")
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  policies:\n  - images: [\"[\"]\n    signers: [{keyless: {issuerRegExp: \"(\", subject: x}}]\n"), "registry:5000/a/b@sha256:"+string(make([]byte, 8)))
	f.Fuzz(func(t *testing.T, data []byte, image string) {
		cf, err := config.Parse(data)
		if err != nil {
			return
		}
		v, err := New(cf.Images.Policies, Options{Trusted: trusted, BaseDir: dir})
		if err != nil {
			return
		}
		for _, p := range v.policies {
			if p.covers(image) {
				for _, a := range p.atts {
					_ = a.failures(image, image)
				}
			}
		}
	})
}

// readCertificate names a bundle's signer as a signature that fails
// verification does.
func readCertificate(b *bundle.Bundle) {
	if b == nil {
		return
	}
	if vc, err := b.VerificationContent(); err == nil && vc.Certificate() != nil {
		_ = certIdentity(vc.Certificate())
	}
}
