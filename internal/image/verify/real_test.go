package verify

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// Real Sigstore material from the public-good instance, as sigstore-go
// v1.3.0 ships it for its own tests and examples. The bundles sign npm
// tarballs, not images: each is judged at the layer an image's signatures
// are, with the digest its own subject or message digest names standing
// for the image's digest, and the trusted root read from a file (the
// air-gapped way; nothing is fetched).
const (
	sigstoreJS200  = "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json" // SLSA v1, GitHub Actions, v0.1 bundle with proof and promise
	dsseBundle     = "pkg/testing/data/bundles/dsse.sigstore.json"                         // SLSA v0.2, e-mail identity, promise only
	dsse2Sigs      = "pkg/testing/data/bundles/dsse-2sigs.sigstore.json"
	othername      = "pkg/testing/data/bundles/othername.sigstore.json" // v0.3, hashedrekord, otherName SAN, scaffolding instance
	keyValidity    = "pkg/testing/data/bundles/public-key-validity.sigstore.json"
	exProvenance   = "examples/bundle-provenance.json" // sigstore-js 1.3.0, SLSA v0.2
	exPublish      = "examples/bundle-publish.json"    // npm's publish attestation, signed with npm's key
	exStatement    = "examples/statement-provenance-sigstorejs1.3.0.json"
	publicGood     = "pkg/testing/data/trusted-roots/public-good.json"
	exPublicGood   = "examples/trusted-root-public-good.json"
	scaffolding    = "pkg/testing/data/trusted-roots/scaffolding.json"
	npmKey         = "examples/publish_key.pub"
	validityKey    = "pkg/testing/data/public-keys/public-key-validity.pem"
	actionsIssuer  = "https://token.actions.githubusercontent.com"
	sigstoreJSSAN  = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
	sigstoreJSRepo = "https://github.com/sigstore/sigstore-js"
	publishType    = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
)

// sigstoreGo finds sigstore-go's material in the module cache. A missing
// fixture fails: these tests never pass by not running.
func sigstoreGo(t testing.TB, rel string) string {
	t.Helper()
	return sharedtest.ModulePath(t, "github.com/sigstore/sigstore-go", rel)
}

func readUpstream(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(sigstoreGo(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edited rewrites a bundle's JSON, to derive the variants sigstore-go
// must accept or refuse from a real one.
func edited(t testing.TB, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tlogEntry(m map[string]any) map[string]any {
	return m["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
}

// flipBase64 alters one byte of a base64 field.
func flipBase64(t testing.TB, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

// realDigest is the digest the material signs: its subject's or its
// message digest, as an image's digest would be.
func realDigest(t testing.TB, m *material) v1.Hash {
	t.Helper()
	ds, err := m.signedDigests()
	if err != nil || len(ds) != 1 {
		t.Fatalf("signed digests %v: %v", ds, err)
	}
	h, err := v1.NewHash(ds[0])
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func keylessID(subject, issuer string) config.ImageSigner {
	return config.ImageSigner{Keyless: &config.KeylessIdentity{Subject: subject, Issuer: issuer}}
}

func keylessRE(subjectRE, issuerRE string) config.ImageSigner {
	return config.ImageSigner{Keyless: &config.KeylessIdentity{SubjectRegExp: subjectRE, IssuerRegExp: issuerRE}}
}

// judgeReal runs the verifier's decision over one real bundle, under one
// policy that requires either a signature (the policy's signers) or an
// attestation of the given type (its own signers), and returns what was
// found.
func judgeReal(t *testing.T, bundleJSON []byte, trustedRoot string, h *v1.Hash, cp config.ImagePolicy) (facts.Signature, *facts.Attestation) {
	t.Helper()
	tr, err := LoadTrustedRoot(sigstoreGo(t, trustedRoot))
	if err != nil {
		t.Fatal(err)
	}
	cp.Name, cp.Images = "npm", []string{"**"}
	v, err := New([]config.ImagePolicy{cp}, Options{Trusted: tr})
	if err != nil {
		t.Fatal(err)
	}
	m := bundleMaterial(bundleJSON)
	digest := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	if h != nil {
		digest = *h
	} else if m.problem == "" {
		digest = realDigest(t, m)
	}
	f := &facts.Facts{Name: "registry.npmjs.org/sigstore"}
	v.decide(v.policies, []*material{m}, digest, f)
	switch {
	case len(f.Signatures) == 1 && len(f.Attestations) == 0:
		if len(f.Signatures[0].Found) != 1 {
			t.Fatalf("signatures found: %+v", f.Signatures[0].Found)
		}
		return f.Signatures[0].Found[0], nil
	case len(f.Attestations) == 1 && len(f.Signatures) == 0:
		if len(f.Attestations[0].Found) != 1 {
			t.Fatalf("attestations found: %+v (material %+v)", f.Attestations[0].Found, m)
		}
		a := f.Attestations[0].Found[0]
		return a.Signature, &a
	}
	t.Fatalf("verdicts: %+v", f)
	return facts.Signature{}, nil
}

func signedBy(signers ...config.ImageSigner) config.ImagePolicy {
	return config.ImagePolicy{Signers: signers}
}

func attestedBy(typ string, signers ...config.ImageSigner) config.ImagePolicy {
	return config.ImagePolicy{Attestations: []config.RequiredAttestation{{Type: typ, Signers: signers}}}
}

func noLog(p config.ImagePolicy) config.ImagePolicy {
	off := false
	p.TransparencyLog = &off
	return p
}

// TestRealBundles judges sigstore-go's real bundles under policies, with
// the outcomes sigstore-go's own verify tests give for them
// (pkg/verify/signed_entity_test.go): the right identity passes, a wrong
// one or a wrong issuer is named, another digest or trusted root fails.
func TestRealBundles(t *testing.T) {
	js := readUpstream(t, sigstoreJS200)
	otherSHA512 := v1.Hash{Algorithm: "sha512", Hex: hex.EncodeToString(func() []byte { s := sha512.Sum512([]byte("sigstore-2.0.1.tgz")); return s[:] }())}
	imageDigest := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	provenanceBy := func(s config.ImageSigner) config.ImagePolicy { return attestedBy("slsa-provenance", s) }
	const sjsFound = sigstoreJSSAN + " (issuer " + actionsIssuer + ")"
	for _, c := range []struct {
		name, bundle, root string
		json               []byte // instead of bundle
		policy             config.ImagePolicy
		digest             *v1.Hash
		want               facts.Outcome
		identity           string // exactly what kubeward reports as the signer
		problem            string // contained in the problem
	}{
		// GitHub Actions keyless provenance (SLSA v1), public-good.
		{name: "exact identity", bundle: sigstoreJS200, root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			want: facts.Trusted, identity: sjsFound},
		{name: "regexp over the workflow", bundle: sigstoreJS200, root: publicGood,
			policy: provenanceBy(keylessRE(`https://github\.com/sigstore/[^/]+/\.github/workflows/release\.yml@refs/heads/main`, `https://token\.actions\.githubusercontent\.com`)),
			want:   facts.Trusted, identity: sjsFound},
		{name: "regexp matching only a substring", bundle: sigstoreJS200, root: publicGood,
			policy: provenanceBy(keylessRE(`sigstore/sigstore-js/\.github/workflows/release\.yml`, `https://token\.actions\.githubusercontent\.com`)),
			want:   facts.Untrusted, identity: sjsFound, problem: "signed by " + sjsFound + ", whom the policy does not trust"},
		{name: "sigstore-go's prefix regexp is matched whole", bundle: sigstoreJS200, root: publicGood,
			policy: provenanceBy(keylessRE(`^https://github.com/sigstore/`, `.*`)),
			want:   facts.Untrusted, identity: sjsFound},
		{name: "issuer regexp matching only a substring", bundle: sigstoreJS200, root: publicGood,
			policy: provenanceBy(keylessRE(`.*`, `token\.actions`)),
			want:   facts.Untrusted, identity: sjsFound},
		{name: "another workflow", bundle: sigstoreJS200, root: publicGood,
			policy: provenanceBy(keylessID("https://github.com/sigstore/sigstore-js/.github/workflows/ci.yml@refs/heads/main", actionsIssuer)),
			want:   facts.Untrusted, identity: sjsFound, problem: sigstoreJSSAN},
		{name: "another issuer", bundle: sigstoreJS200, root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, "https://accounts.google.com")),
			want: facts.Untrusted, identity: sjsFound, problem: actionsIssuer},
		{name: "another artifact's digest", bundle: sigstoreJS200, root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			digest: &otherSHA512, want: facts.OtherDigest, identity: sjsFound, problem: "sha512:46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c"},
		{name: "an image digest", bundle: sigstoreJS200, root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			digest: &imageDigest, want: facts.OtherDigest, problem: imageDigest.String()},
		{name: "scaffolding's trusted root", bundle: sigstoreJS200, root: scaffolding, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			want: facts.Invalid, identity: sigstoreJSSAN + " (issuer " + actionsIssuer + ", unverified certificate)"},
		// TestEntitySignedByPublicGoodExpectingTSAFails: without the log,
		// a certificate needs a signed timestamp, which this bundle lacks.
		{name: "no log and no signed timestamp", bundle: sigstoreJS200, root: publicGood, policy: noLog(provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer))),
			want: facts.Invalid, problem: "signed timestamps"},

		// Bundle versions: v0.1 needs an inclusion promise, v0.2 on an
		// inclusion proof, v0.3 a bare certificate, not a chain.
		{name: "v0.2 with its proof", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2" }),
			want: facts.Trusted, identity: sjsFound},
		{name: "v0.3 with a certificate", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) {
				m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json"
				vm := m["verificationMaterial"].(map[string]any)
				vm["certificate"] = vm["x509CertificateChain"].(map[string]any)["certificates"].([]any)[0]
				delete(vm, "x509CertificateChain")
			}),
			want: facts.Trusted, identity: sjsFound},
		{name: "v0.3 with a certificate chain", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json" }),
			want: facts.Invalid, problem: "X.509 certificate chain"},
		{name: "v0.1 with its promise alone", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) { delete(tlogEntry(m), "inclusionProof") }),
			want: facts.Trusted, identity: sjsFound},
		{name: "v0.1 without its promise", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) { delete(tlogEntry(m), "inclusionPromise") }),
			want: facts.Invalid, problem: "inclusion promise"},
		{name: "v0.2 without a proof", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) {
				m["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.2"
				delete(tlogEntry(m), "inclusionProof")
			}),
			want: facts.Invalid, problem: "inclusion proof"},
		{name: "an altered signed entry timestamp", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) {
				p := tlogEntry(m)["inclusionPromise"].(map[string]any)
				p["signedEntryTimestamp"] = flipBase64(t, p["signedEntryTimestamp"].(string))
			}),
			want: facts.Invalid, identity: sigstoreJSSAN + " (issuer " + actionsIssuer + ", unverified certificate)"},
		{name: "an altered inclusion proof", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) {
				hs := tlogEntry(m)["inclusionProof"].(map[string]any)["hashes"].([]any)
				hs[0] = flipBase64(t, hs[0].(string))
			}),
			want: facts.Invalid},
		{name: "an altered statement", root: publicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			json: edited(t, js, func(m map[string]any) {
				env := m["dsseEnvelope"].(map[string]any)
				p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
				env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), "sigstore/sigstore-js", "sigstore/sigstore-jz", 1)))
			}),
			want: facts.Invalid},

		// sigstore-js 1.3.0's provenance (SLSA v0.2) with the examples'
		// trusted root, and an older e-mail-signed bundle with a promise only.
		{name: "sigstore-js 1.3.0", bundle: exProvenance, root: exPublicGood, policy: provenanceBy(keylessID(sigstoreJSSAN, actionsIssuer)),
			want: facts.Trusted, identity: sjsFound},
		{name: "e-mail identity", bundle: dsseBundle, root: publicGood, policy: provenanceBy(keylessID("brian@dehamer.com", "https://github.com/login/oauth")),
			want: facts.Trusted, identity: "brian@dehamer.com (issuer https://github.com/login/oauth)"},
		{name: "e-mail identity, another address", bundle: dsseBundle, root: publicGood, policy: provenanceBy(keylessID("brian@dehamer.co", "https://github.com/login/oauth")),
			want: facts.Untrusted, identity: "brian@dehamer.com (issuer https://github.com/login/oauth)"},
		// TestSigstoreBundle2Sig: a DSSE envelope with two signatures is refused.
		{name: "two signatures", bundle: dsse2Sigs, root: publicGood, policy: provenanceBy(keylessID("brian@dehamer.com", "https://github.com/login/oauth")),
			want: facts.Invalid, problem: "exactly one signature"},

		// npm's publish attestation, signed with npm's key and logged.
		{name: "npm's key", bundle: exPublish, root: exPublicGood, policy: attestedBy(publishType, config.ImageSigner{Key: sigstoreGo(t, npmKey)}),
			want: facts.Trusted, identity: "key " + sigstoreGo(t, npmKey) + " (SHA256:"},
		{name: "another key", bundle: exPublish, root: exPublicGood, policy: attestedBy(publishType, config.ImageSigner{Key: sigstoreGo(t, validityKey)}),
			want: facts.Untrusted, identity: "key SHA256:", problem: "which the policy does not list"},

		// TestEntityWithOthernameSan: an otherName SAN, the scaffolding
		// instance's trusted root, a message signature (v0.3 hashedrekord).
		{name: "othername", bundle: othername, root: scaffolding, policy: signedBy(keylessID("foo!oidc.local", "http://oidc.local:8080")),
			want: facts.Trusted, identity: "foo!oidc.local (issuer http://oidc.local:8080)"},
		{name: "othername read as an e-mail", bundle: othername, root: scaffolding, policy: signedBy(keylessID("foo@oidc.local", "http://oidc.local:8080")),
			want: facts.Untrusted, identity: "foo!oidc.local (issuer http://oidc.local:8080)"},
		{name: "othername, public-good's root", bundle: othername, root: publicGood, policy: signedBy(keylessID("foo!oidc.local", "http://oidc.local:8080")),
			want: facts.Invalid, identity: "foo!oidc.local (issuer http://oidc.local:8080, unverified certificate)"},
		{name: "othername, another artifact", bundle: othername, root: scaffolding, policy: signedBy(keylessID("foo!oidc.local", "http://oidc.local:8080")),
			digest: &imageDigest, want: facts.OtherDigest, problem: "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"},
		{name: "othername, altered message digest", root: scaffolding, policy: signedBy(keylessID("foo!oidc.local", "http://oidc.local:8080")),
			json: edited(t, readUpstream(t, othername), func(m map[string]any) {
				md := m["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)
				md["digest"] = flipBase64(t, md["digest"].(string))
			}),
			digest: &v1.Hash{Algorithm: "sha256", Hex: "bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"}, want: facts.Invalid},

		// A key signature with only an RFC 3161 timestamp and no log entry
		// (TestPublicKeyValidityCheckedAgainstSignedTimestamp's bundle; a
		// policy key has no validity window): the key decides without the
		// log; a policy requiring the log refuses it.
		{name: "key, no log required", bundle: keyValidity, root: publicGood, policy: noLog(signedBy(config.ImageSigner{Key: sigstoreGo(t, validityKey)})),
			want: facts.Trusted, identity: "key " + sigstoreGo(t, validityKey) + " (SHA256:"},
		{name: "key, log required", bundle: keyValidity, root: publicGood, policy: signedBy(config.ImageSigner{Key: sigstoreGo(t, validityKey)}),
			want: facts.Invalid, problem: "transparency log"},
		{name: "key, another key", bundle: keyValidity, root: publicGood, policy: noLog(signedBy(config.ImageSigner{Key: sigstoreGo(t, npmKey)})),
			want: facts.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := c.json
			if b == nil {
				b = readUpstream(t, c.bundle)
			}
			sig, _ := judgeReal(t, b, c.root, c.digest, c.policy)
			if sig.Outcome != c.want {
				t.Fatalf("outcome %q, want %q: %+v", sig.Outcome, c.want, sig)
			}
			if c.identity != "" && !strings.HasPrefix(sig.Identity, c.identity) || c.identity == "" && c.want == facts.Trusted {
				t.Errorf("identity %q, want %q", sig.Identity, c.identity)
			}
			if strings.HasSuffix(c.identity, ")") && sig.Identity != c.identity {
				t.Errorf("identity %q, want exactly %q", sig.Identity, c.identity)
			}
			if !strings.Contains(sig.Problem, c.problem) || (c.want == facts.Trusted) != (sig.Problem == "") {
				t.Errorf("problem %q, want one containing %q", sig.Problem, c.problem)
			}
		})
	}
}

// asCosignAttestation lays a real bundle's DSSE attestation out as
// cosign's .att tag scheme stores it: the envelope as the layer, the
// certificate and the Rekor entry (its signed entry timestamp and the
// entry it signs) as annotations.
func asCosignAttestation(t *testing.T, bundleJSON []byte) *material {
	t.Helper()
	type cert struct {
		RawBytes []byte `json:"rawBytes"`
	}
	var b struct {
		DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
		VM           struct {
			Certificate *cert `json:"certificate"`
			Chain       struct {
				Certificates []cert `json:"certificates"`
			} `json:"x509CertificateChain"`
			TlogEntries []struct {
				LogIndex       int64 `json:"logIndex,string"`
				IntegratedTime int64 `json:"integratedTime,string"`
				LogID          struct {
					KeyID []byte `json:"keyId"`
				} `json:"logId"`
				InclusionPromise struct {
					SET []byte `json:"signedEntryTimestamp"`
				} `json:"inclusionPromise"`
				Body string `json:"canonicalizedBody"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundleJSON, &b); err != nil {
		t.Fatal(err)
	}
	leaf := b.VM.Certificate
	if leaf == nil {
		leaf = &b.VM.Chain.Certificates[0]
	}
	e := b.VM.TlogEntries[0]
	var rb rekorBundle
	rb.SignedEntryTimestamp = e.InclusionPromise.SET
	rb.Payload.Body, rb.Payload.IntegratedTime, rb.Payload.LogIndex, rb.Payload.LogID = e.Body, e.IntegratedTime, e.LogIndex, hex.EncodeToString(e.LogID.KeyID)
	ann, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	st, err := envelopeStatement(b.DSSEEnvelope)
	if err != nil {
		t.Fatal(err)
	}
	return &material{layout: facts.LayoutCosignTag, att: true, attestation: st, legacy: &legacyLayer{payload: b.DSSEEnvelope, dsse: true, annotations: map[string]string{
		annSignature:   "",
		annCertificate: "-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(leaf.RawBytes) + "\n-----END CERTIFICATE-----\n",
		annBundle:      string(ann),
	}}}
}

// TestRealBundleInCosignTags stores a real public-good attestation (an
// intoto v0.0.2 log entry) the way cosign's tag scheme does and judges it
// as the bundle itself is judged.
func TestRealBundleInCosignTags(t *testing.T) {
	tr, err := LoadTrustedRoot(sigstoreGo(t, publicGood))
	if err != nil {
		t.Fatal(err)
	}
	v, err := New([]config.ImagePolicy{attestedBy("slsa-provenance", keylessID(sigstoreJSSAN, actionsIssuer))}, Options{Trusted: tr})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		entry bool
		want  facts.Outcome
	}{
		{"certificate and log entry", true, facts.Trusted},
		{"no log entry", false, facts.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := asCosignAttestation(t, readUpstream(t, sigstoreJS200))
			if !c.entry {
				delete(m.legacy.annotations, annBundle)
			}
			f := &facts.Facts{}
			v.decide(v.policies, []*material{m}, realDigest(t, m), f)
			got := f.Attestations[0].Found[0]
			if got.Outcome != c.want {
				t.Fatalf("outcome %q, want %q: %+v", got.Outcome, c.want, got)
			}
			if c.want == facts.Trusted && (got.Identity != sigstoreJSSAN+" (issuer "+actionsIssuer+")" || got.SourceRepository != sigstoreJSRepo) {
				t.Fatalf("judged as %+v", got)
			}
		})
	}
}

// TestRealProvenance reads the SLSA provenance sigstore-go ships (npm's,
// from GitHub Actions) for what the policy compares: the builder id
// (runDetails.builder.id in v1, builder.id in v0.2) and the source
// repository (v1: the workflow's repository, which its resolved git
// dependency names too, at a commit; v0.2: invocation.configSource.uri).
func TestRealProvenance(t *testing.T) {
	fromBundle := func(rel string) *statement {
		m := bundleMaterial(readUpstream(t, rel))
		if m.problem != "" || m.attestation == nil {
			t.Fatalf("%s: %+v", rel, m)
		}
		return m.attestation
	}
	var plain statement
	if err := json.Unmarshal(readUpstream(t, exStatement), &plain); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name             string
		st               *statement
		predicate        string
		builder, source  string
		dependency, sha1 string // the resolved git dependency (v1) or material (v0.2), at its commit
	}{
		{"sigstore-js 2.0.0 (v1)", fromBundle(sigstoreJS200), "https://slsa.dev/provenance/v1",
			"https://github.com/actions/runner/github-hosted", sigstoreJSRepo,
			"git+https://github.com/sigstore/sigstore-js@refs/heads/main", "f0b49a04e5a62250e0f60fb128004a73110fe311"},
		{"sigstore-js 1.3.0 statement (v0.2)", &plain, "https://slsa.dev/provenance/v0.2",
			"https://github.com/actions/runner", sigstoreJSRepo,
			"git+https://github.com/sigstore/sigstore-js@refs/heads/main", "dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1"},
		{"sigstore-js 1.3.0 bundle (v0.2)", fromBundle(exProvenance), "https://slsa.dev/provenance/v0.2",
			"https://github.com/actions/runner", sigstoreJSRepo,
			"git+https://github.com/sigstore/sigstore-js@refs/heads/main", "dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1"},
		{"npm slsa-provenance demo (v0.2)", fromBundle(dsseBundle), "https://slsa.dev/provenance/v0.2",
			"https://github.com/npm/slsa-provenance@0.0.1", "https://github.com/github/slsa-provenance",
			"git+https://github.com/github/slsa-provenance", "29cff3dd65f780c3601bd457acb6fe4e5931c825"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.st.PredicateType != c.predicate {
				t.Fatalf("predicate type %q", c.st.PredicateType)
			}
			builder, source := provenance(c.st)
			if builder != c.builder || source != c.source {
				t.Fatalf("read builder %q, source %q; want %q, %q", builder, source, c.builder, c.source)
			}
			// The resolved dependency (or material) is the same repository,
			// at the commit the provenance records.
			var p struct {
				BuildDefinition struct {
					ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies"`
				} `json:"buildDefinition"`
				Materials []resourceDescriptor `json:"materials"`
			}
			if err := json.Unmarshal(c.st.Predicate, &p); err != nil {
				t.Fatal(err)
			}
			deps := append(p.BuildDefinition.ResolvedDependencies, p.Materials...)
			if len(deps) == 0 || deps[0].URI != c.dependency || repository(deps[0].URI) != c.source || first(deps[0].Digest["gitCommit"], deps[0].Digest["sha1"]) != c.sha1 {
				t.Fatalf("dependencies %+v", deps)
			}

			// What the policy compares: exact and whole-match conditions.
			for _, rule := range []struct {
				builderID, builderRE, source, sourceRE string
				failures                               int
			}{
				{builderID: c.builder, source: c.source},
				{builderRE: `https://github\.com/(actions/runner|npm/slsa-provenance)(/github-hosted|@.*)?`, sourceRE: `https://github\.com/(sigstore|github)/[^/]+`},
				{builderID: c.builder + "/", source: c.source + ".git", failures: 2},
				{builderRE: `github\.com/actions`, sourceRE: `sigstore-js|slsa-provenance`, failures: 2},
				{source: c.dependency, failures: 1},
			} {
				a := &attestationRule{}
				var err error
				if a.builder, err = newMatcher(rule.builderID, rule.builderRE); err != nil {
					t.Fatal(err)
				}
				if a.sourceRepo, err = newMatcher(rule.source, rule.sourceRE); err != nil {
					t.Fatal(err)
				}
				if got := a.failures(builder, source); len(got) != rule.failures {
					t.Errorf("rule %+v: failures %q", rule, got)
				}
			}
		})
	}
}

// resourceDescriptor is a SLSA resource descriptor (v1 resolvedDependencies,
// v0.2 materials).
type resourceDescriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

// TestRealProvenancePolicy judges the real provenance bundles' conditions
// as a policy states them, through the whole decision.
func TestRealProvenancePolicy(t *testing.T) {
	signer := keylessID(sigstoreJSSAN, actionsIssuer)
	for _, c := range []struct {
		name, bundle, root string
		rule               config.RequiredAttestation
		failures           []string
	}{
		{name: "v1 exact", bundle: sigstoreJS200, root: publicGood,
			rule: config.RequiredAttestation{BuilderID: "https://github.com/actions/runner/github-hosted", SourceRepository: sigstoreJSRepo}},
		{name: "v0.2 exact", bundle: exProvenance, root: exPublicGood,
			rule: config.RequiredAttestation{BuilderID: "https://github.com/actions/runner", SourceRepository: sigstoreJSRepo}},
		{name: "v1 regexps", bundle: sigstoreJS200, root: publicGood,
			rule: config.RequiredAttestation{BuilderIDRegExp: `https://github\.com/actions/runner/.+`, SourceRepositoryRegExp: `https://github\.com/sigstore/.+`}},
		{name: "v1, self-hosted runner and another repository required", bundle: sigstoreJS200, root: publicGood,
			rule: config.RequiredAttestation{BuilderID: "https://github.com/actions/runner/self-hosted", SourceRepository: "https://github.com/sigstore/cosign"},
			failures: []string{`builder id "https://github.com/actions/runner/github-hosted" is not https://github.com/actions/runner/self-hosted`,
				`source repository "https://github.com/sigstore/sigstore-js" is not https://github.com/sigstore/cosign`}},
		{name: "v0.2, regexps matching only a part", bundle: exProvenance, root: exPublicGood,
			rule: config.RequiredAttestation{BuilderIDRegExp: `actions/runner`, SourceRepositoryRegExp: `https://github\.com/sigstore/sigstore`},
			failures: []string{`builder id "https://github.com/actions/runner" is not /actions/runner/`,
				`source repository "https://github.com/sigstore/sigstore-js" is not /https://github\.com/sigstore/sigstore/`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.rule.Type, c.rule.Signers = "slsa-provenance", []config.ImageSigner{signer}
			sig, a := judgeReal(t, readUpstream(t, c.bundle), c.root, nil, config.ImagePolicy{Attestations: []config.RequiredAttestation{c.rule}})
			if sig.Outcome != facts.Trusted || a == nil {
				t.Fatalf("judged %+v", sig)
			}
			if strings.Join(a.Failures, "\n") != strings.Join(c.failures, "\n") {
				t.Fatalf("failures %q, want %q", a.Failures, c.failures)
			}
		})
	}
}
