package verify_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/verify"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
)

const (
	issuer    = "https://token.actions.githubusercontent.com"
	releaser  = "release@acme.example"
	intruder  = "mallory@evil.example"
	slsaV1    = "https://slsa.dev/provenance/v1"
	signStmt  = "https://sigstore.dev/cosign/sign/v1"
	spdxType  = "https://spdx.dev/Document"
	builderID = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
)

type env struct {
	reg *registrytest.Registry
	ss  *sigtest.Sigstore
	dir string
	s   *registry.Session
}

func setup(t testing.TB) *env {
	t.Helper()
	reg := registrytest.New(t)
	c, err := registry.New(registry.Options{RootCAs: reg.CAs})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Session("test", reg.Keychain())
	if err != nil {
		t.Fatal(err)
	}
	return &env{reg: reg, ss: sigtest.New(t), dir: t.TempDir(), s: s}
}

func (e *env) image(t testing.TB, repoTag string) name.Digest {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	return e.reg.Push(t, repoTag, img)
}

// verifier builds the policies with the trusted root read from a file, as
// an air-gapped site configures it.
func (e *env) verifier(t testing.TB, policies ...config.ImagePolicy) *verify.Verifier {
	t.Helper()
	tr, err := verify.LoadTrustedRoot(e.ss.WriteTrustedRoot(t, e.dir))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(policies, verify.Options{Trusted: tr, BaseDir: e.dir})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) judge(t *testing.T, v *verify.Verifier, d name.Digest) *facts.Facts {
	t.Helper()
	f := &facts.Facts{Name: d.Context().Name(), Digest: d.DigestStr()}
	v.Verify(context.Background(), e.s, d, f)
	if f.Error != "" {
		t.Fatalf("registry error: %s", f.Error)
	}
	return f
}

func keyless(subject string) config.ImageSigner {
	return config.ImageSigner{Keyless: &config.KeylessIdentity{Issuer: issuer, Subject: subject}}
}

func policy(e *env, signers ...config.ImageSigner) config.ImagePolicy {
	return config.ImagePolicy{Name: "acme", Images: []string{e.reg.Host + "/acme/**"}, Signers: signers}
}

func only(t *testing.T, f *facts.Facts) facts.SignatureVerdict {
	t.Helper()
	if len(f.Signatures) != 1 {
		t.Fatalf("verdicts = %+v, want one", f.Signatures)
	}
	return f.Signatures[0]
}

func expect(t *testing.T, v facts.SignatureVerdict, want facts.Outcome, contains string) {
	t.Helper()
	if v.Trusted() != (want == facts.Trusted) || v.Worst() != want {
		t.Fatalf("outcome %q (trusted %v), want %q: %+v", v.Worst(), v.Trusted(), want, v.Found)
	}
	if contains != "" {
		for _, s := range v.Found {
			if strings.Contains(s.Identity+" "+s.Problem, contains) {
				return
			}
		}
		t.Fatalf("no signature mentions %q: %+v", contains, v.Found)
	}
}

func TestKeylessCosignTagScheme(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, keyless(releaser)))

	signed := e.image(t, "acme/app:v1")
	sigtest.PushLayers(t, e.reg, signed, ".sig", e.ss.SignKeyless(t, sigtest.Payload(signed), releaser, issuer))
	expect(t, only(t, e.judge(t, v, signed)), facts.Trusted, releaser)

	unsigned := e.image(t, "acme/app:v2")
	vd := only(t, e.judge(t, v, unsigned))
	if vd.Trusted() || len(vd.Found) != 0 {
		t.Fatalf("unsigned image: %+v", vd)
	}

	wrong := e.image(t, "acme/app:v3")
	sigtest.PushLayers(t, e.reg, wrong, ".sig", e.ss.SignKeyless(t, sigtest.Payload(wrong), intruder, issuer))
	expect(t, only(t, e.judge(t, v, wrong)), facts.Untrusted, intruder)

	// The payload altered to name another image: the signature no longer verifies.
	tampered := e.image(t, "acme/app:v4")
	l := e.ss.SignKeyless(t, sigtest.Payload(signed), releaser, issuer)
	l.Payload = sigtest.Payload(tampered)
	sigtest.PushLayers(t, e.reg, tampered, ".sig", l)
	expect(t, only(t, e.judge(t, v, tampered)), facts.Invalid, "")

	// A genuine signature of another image, copied next to this one.
	copied := e.image(t, "acme/app:v5")
	sigtest.PushLayers(t, e.reg, copied, ".sig", e.ss.SignKeyless(t, sigtest.Payload(signed), releaser, issuer))
	expect(t, only(t, e.judge(t, v, copied)), facts.OtherDigest, signed.DigestStr())

	// A trusted signature among untrusted ones passes.
	mixed := e.image(t, "acme/app:v6")
	sigtest.PushLayers(t, e.reg, mixed, ".sig",
		e.ss.SignKeyless(t, sigtest.Payload(mixed), intruder, issuer),
		e.ss.SignKeyless(t, sigtest.Payload(mixed), releaser, issuer))
	if vd := only(t, e.judge(t, v, mixed)); !vd.Trusted() {
		t.Fatalf("a trusted signature among others: %+v", vd.Found)
	}
}

// A certificate lives ten minutes; only the log's timestamp proves it was
// valid when it signed. Without the log entry the signature fails.
func TestExpiredCertificateNeedsTheLog(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, keyless(releaser)))
	logged := e.image(t, "acme/app:logged")
	sigtest.PushLayers(t, e.reg, logged, ".sig", e.ss.SignExpired(t, sigtest.Payload(logged), releaser, issuer, true))
	expect(t, only(t, e.judge(t, v, logged)), facts.Trusted, releaser)

	unlogged := e.image(t, "acme/app:unlogged")
	sigtest.PushLayers(t, e.reg, unlogged, ".sig", e.ss.SignExpired(t, sigtest.Payload(unlogged), releaser, issuer, false))
	expect(t, only(t, e.judge(t, v, unlogged)), facts.Invalid, "")
}

func TestKeySigners(t *testing.T) {
	e := setup(t)
	key, other := sigtest.NewKey(t), sigtest.NewKey(t)
	keyPath := key.Write(t, e.dir, "cosign.pub")
	v := e.verifier(t, policy(e, config.ImageSigner{Key: "cosign.pub"}))

	logged := e.image(t, "acme/app:logged")
	sigtest.PushLayers(t, e.reg, logged, ".sig", e.ss.SignKey(t, sigtest.Payload(logged), key, true))
	expect(t, only(t, e.judge(t, v, logged)), facts.Trusted, keyPath)

	// The policy requires the transparency log by default.
	unlogged := e.image(t, "acme/app:unlogged")
	sigtest.PushLayers(t, e.reg, unlogged, ".sig", e.ss.SignKey(t, sigtest.Payload(unlogged), key, false))
	expect(t, only(t, e.judge(t, v, unlogged)), facts.Invalid, "")

	otherKey := e.image(t, "acme/app:other")
	sigtest.PushLayers(t, e.reg, otherKey, ".sig", e.ss.SignKey(t, sigtest.Payload(otherKey), other, true))
	expect(t, only(t, e.judge(t, v, otherKey)), facts.Untrusted, "SHA256:")

	// A private deployment without a log: the key alone decides.
	no := false
	p := policy(e, config.ImageSigner{Key: keyPath})
	p.TransparencyLog = &no
	v2 := e.verifier(t, p)
	expect(t, only(t, e.judge(t, v2, unlogged)), facts.Trusted, keyPath)
	tampered := e.image(t, "acme/app:tampered")
	l := e.ss.SignKey(t, sigtest.Payload(unlogged), key, false)
	l.Payload = sigtest.Payload(tampered)
	sigtest.PushLayers(t, e.reg, tampered, ".sig", l)
	expect(t, only(t, e.judge(t, v2, tampered)), facts.Invalid, "")
}

// cosign 3 stores a signature as a Sigstore bundle in an OCI 1.1
// referrer: a DSSE envelope of its signing statement.
func TestReferrerBundles(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, keyless(releaser)))
	signed := e.image(t, "acme/app:v1")
	sigtest.PushBundle(t, e.reg, signed, e.ss.BundleKeyless(t, sigtest.Statement(signed, signStmt, map[string]any{}), releaser, issuer), signStmt)
	vd := only(t, e.judge(t, v, signed))
	expect(t, vd, facts.Trusted, releaser)
	if vd.Found[0].Layout != facts.LayoutReferrer {
		t.Fatalf("layout %q", vd.Found[0].Layout)
	}
	wrong := e.image(t, "acme/app:v2")
	sigtest.PushBundle(t, e.reg, wrong, e.ss.BundleKeyless(t, sigtest.Statement(wrong, signStmt, map[string]any{}), intruder, issuer), signStmt)
	expect(t, only(t, e.judge(t, v, wrong)), facts.Untrusted, intruder)
	copied := e.image(t, "acme/app:v3")
	sigtest.PushBundle(t, e.reg, copied, e.ss.BundleKeyless(t, sigtest.Statement(signed, signStmt, map[string]any{}), releaser, issuer), signStmt)
	expect(t, only(t, e.judge(t, v, copied)), facts.OtherDigest, "")
}

func provenanceV1(builder, repo string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"ref": "refs/tags/v1", "repository": repo, "path": ".github/workflows/release.yml"}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builder}},
	}
}

func TestAttestations(t *testing.T) {
	e := setup(t)
	p := policy(e, keyless(releaser))
	p.Attestations = []config.RequiredAttestation{
		{Type: "slsa-provenance", BuilderID: builderID, SourceRepositoryRegExp: `https://github\.com/acme/.+`},
		{Type: "spdx"},
	}
	v := e.verifier(t, p)
	good := e.image(t, "acme/app:v1")
	sbom := map[string]any{"spdxVersion": "SPDX-2.3", "packages": []any{map[string]any{"name": "openssl", "versionInfo": "3.0.2"}}}
	sigtest.PushLayers(t, e.reg, good, ".att",
		e.ss.AttestKeyless(t, sigtest.Statement(good, slsaV1, provenanceV1(builderID, "https://github.com/acme/app")), releaser, issuer),
		e.ss.AttestKeyless(t, sigtest.Statement(good, spdxType, sbom), releaser, issuer))
	f := &facts.Facts{Name: good.Context().Name(), Digest: good.DigestStr()}
	stmts := v.Verify(context.Background(), e.s, good, f)
	if len(f.Attestations) != 2 || !f.Attestations[0].Passed() || !f.Attestations[1].Passed() {
		t.Fatalf("attestations: %+v", f.Attestations)
	}
	if a := f.Attestations[0].Found[0]; a.BuilderID != builderID || a.SourceRepository != "https://github.com/acme/app" {
		t.Fatalf("provenance read as %+v", a)
	}
	var gotSBOM bool
	for _, st := range stmts {
		if st.PredicateType == spdxType {
			var doc struct {
				SPDXVersion string `json:"spdxVersion"`
			}
			gotSBOM = json.Unmarshal(st.Predicate, &doc) == nil && doc.SPDXVersion == "SPDX-2.3"
		}
	}
	if !gotSBOM {
		t.Fatalf("the trusted SBOM statement was not handed on: %+v", stmts)
	}

	// Provenance from another builder and repository fails its conditions.
	bad := e.image(t, "acme/app:v2")
	sigtest.PushLayers(t, e.reg, bad, ".att",
		e.ss.AttestKeyless(t, sigtest.Statement(bad, slsaV1, provenanceV1("https://evil.example/builder", "https://github.com/evil/app")), releaser, issuer))
	f = e.judge(t, v, bad)
	prov := f.Attestations[0]
	if prov.Passed() || len(prov.Failing()) != 1 || len(prov.Failing()[0].Failures) != 2 {
		t.Fatalf("bad provenance: %+v", prov)
	}
	if sb := f.Attestations[1]; sb.Passed() || len(sb.Found) != 0 {
		t.Fatalf("missing SBOM: %+v", sb)
	}

	// An attestation by someone the policy does not trust does not count.
	untrusted := e.image(t, "acme/app:v3")
	sigtest.PushLayers(t, e.reg, untrusted, ".att",
		e.ss.AttestKeyless(t, sigtest.Statement(untrusted, slsaV1, provenanceV1(builderID, "https://github.com/acme/app")), intruder, issuer))
	if prov := e.judge(t, v, untrusted).Attestations[0]; prov.Passed() || prov.Worst() != facts.Untrusted {
		t.Fatalf("untrusted provenance: %+v", prov)
	}

	// Attestations in referrers count too.
	ref := e.image(t, "acme/app:v4")
	sigtest.PushBundle(t, e.reg, ref, e.ss.BundleKeyless(t, sigtest.Statement(ref, slsaV1, provenanceV1(builderID, "https://github.com/acme/app")), releaser, issuer), slsaV1)
	if prov := e.judge(t, v, ref).Attestations[0]; !prov.Passed() || prov.Found[0].Layout != facts.LayoutReferrer {
		t.Fatalf("provenance in a referrer: %+v", prov)
	}
}

// Identity patterns match whole values: a prefix does not smuggle in a
// look-alike subject.
func TestIdentityRegExpIsAnchored(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, config.ImageSigner{Keyless: &config.KeylessIdentity{Issuer: issuer, SubjectRegExp: `[a-z]+@acme\.example`}}))
	ok := e.image(t, "acme/app:ok")
	sigtest.PushLayers(t, e.reg, ok, ".sig", e.ss.SignKeyless(t, sigtest.Payload(ok), releaser, issuer))
	expect(t, only(t, e.judge(t, v, ok)), facts.Trusted, "")
	lookalike := e.image(t, "acme/app:lookalike")
	sigtest.PushLayers(t, e.reg, lookalike, ".sig", e.ss.SignKeyless(t, sigtest.Payload(lookalike), "release@acme.example.evil.example", issuer))
	expect(t, only(t, e.judge(t, v, lookalike)), facts.Untrusted, "evil")
}

// Images no policy covers are not read at all.
func TestUncoveredImagesAreNotRead(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, keyless(releaser)))
	d := e.image(t, "other/app:v1")
	before := e.reg.Requests()
	f := e.judge(t, v, d)
	if len(f.Policies) != 0 || len(f.Signatures) != 0 || e.reg.Requests() != before {
		t.Fatalf("facts %+v after %d requests", f, e.reg.Requests()-before)
	}
}

// A configuration naming a device or a huge file as a key or trusted root
// is refused at once, not read forever.
func TestConfiguredFilesAreBounded(t *testing.T) {
	off := false
	_, err := verify.New([]config.ImagePolicy{{Images: []string{"**"}, TransparencyLog: &off, Signers: []config.ImageSigner{{Key: "/dev/zero"}}}}, verify.Options{})
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("key /dev/zero: %v", err)
	}
	if _, err := verify.LoadTrustedRoot("/dev/zero"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("trusted root /dev/zero: %v", err)
	}
}

// A signature too large to read is an invalid signature; a registry that
// fails to serve one is a registry failure (the image is not judged),
// whatever the repository is called.
func TestOversizedSignatureAndMissingBlob(t *testing.T) {
	e := setup(t)
	v := e.verifier(t, policy(e, keyless(releaser)))
	big := e.image(t, "acme/app:big")
	sigtest.PushLayers(t, e.reg, big, ".sig", sigtest.Layer{Payload: make([]byte, 1<<20+1), MediaType: "application/vnd.dev.cosign.simplesigning.v1+json"})
	expect(t, only(t, e.judge(t, v, big)), facts.Invalid, "limit")

	for _, repo := range []string{"acme/app", "acme/ratelimited"} {
		d := e.image(t, repo+":lost")
		h, _ := v1.NewHash(d.DigestStr())
		lost := "sha256:" + strings.Repeat("0", 64)
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": string(types.OCIManifestSchema1),
			"config": map[string]any{"mediaType": string(types.OCIConfigJSON), "digest": lost, "size": 2},
			"layers": []any{map[string]any{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": lost, "size": 10}}})
		if err := remote.Put(d.Context().Tag(h.Algorithm+"-"+h.Hex+".sig"), rawManifest(m), e.reg.Options()...); err != nil {
			t.Fatal(err)
		}
		f := &facts.Facts{Name: d.Context().Name(), Digest: d.DigestStr()}
		v.Verify(context.Background(), e.s, d, f)
		if f.Error == "" {
			t.Errorf("%s: a blob the registry lacks judged as %+v, not as a registry failure", repo, f.Signatures)
		}
	}
}

type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
