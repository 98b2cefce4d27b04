package verify

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
)

// cosignCustom is the predicate type of `cosign attest --type custom`.
const cosignCustom = "https://cosign.sigstore.dev/attestation/v1"

// TestRealCosignAttestationBundle judges the attestation cosign's own
// tests verify (pkg/cosign/testdata/oci-attestation.sigstore.json): what
// `cosign attest --new-bundle-format` pushes as an OCI 1.1 referrer, a
// v0.3 bundle (bare certificate, e-mail identity from GitHub's OAuth
// issuer, a dsse log entry with inclusion proof and promise) holding a
// custom predicate. Judged as real_test.go judges sigstore-go's bundles,
// against public-good's trusted root, with the verdicts cosign gives.
func TestRealCosignAttestationBundle(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "cosign", "oci-attestation.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		email    = "cody@soyland.com"
		github   = "https://github.com/login/oauth"
		found    = email + " (issuer " + github + ")"
		unproven = email + " (issuer " + github + ", unverified certificate)"
	)
	subject := v1.Hash{Algorithm: "sha256", Hex: "732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"}
	other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	for _, c := range []struct {
		name     string
		json     []byte
		root     string
		signer   string // e-mail; the issuer is GitHub's
		digest   *v1.Hash
		want     facts.Outcome
		identity string
	}{
		{name: "its identity", signer: email, want: facts.Trusted, identity: found},
		{name: "another e-mail", signer: "cody@soyland.co", want: facts.Untrusted, identity: found},
		{name: "another image's digest", signer: email, digest: &other, want: facts.OtherDigest, identity: found},
		{name: "scaffolding's trusted root", signer: email, root: scaffolding, want: facts.Invalid, identity: unproven},
		{name: "altered statement", signer: email, want: facts.Invalid, identity: unproven,
			json: edited(t, b, func(m map[string]any) {
				env := m["dsseEnvelope"].(map[string]any)
				p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
				env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(p), `\"bar\"`, `\"baz\"`, 1)))
			})},
		{name: "altered inclusion proof", signer: email, want: facts.Invalid,
			json: edited(t, b, func(m map[string]any) {
				hs := tlogEntry(m)["inclusionProof"].(map[string]any)["hashes"].([]any)
				hs[3] = flipBase64(t, hs[3].(string))
			})},
		// The proof alone is no signed time: nothing shows the ten-minute
		// certificate was valid when it signed.
		{name: "proof without its promise", signer: email, want: facts.Invalid,
			json: edited(t, b, func(m map[string]any) { delete(tlogEntry(m), "inclusionPromise") })},
		// A v0.3 bundle must carry the proof, as cosign 3 (sigstore-go)
		// requires.
		{name: "promise without its proof", signer: email, want: facts.Invalid,
			json: edited(t, b, func(m map[string]any) { delete(tlogEntry(m), "inclusionProof") })},
	} {
		t.Run(c.name, func(t *testing.T) {
			bj, root := c.json, c.root
			if bj == nil {
				bj = b
			}
			if root == "" {
				root = publicGood
			}
			digest := c.digest
			if digest == nil {
				digest = &subject
			}
			sig, a := judgeReal(t, bj, root, digest, attestedBy(cosignCustom, keylessID(c.signer, github)))
			if a == nil || a.PredicateType != cosignCustom {
				t.Fatalf("not read as a %s attestation: %+v", cosignCustom, a)
			}
			if sig.Outcome != c.want {
				t.Fatalf("outcome %q, want %q: %+v", sig.Outcome, c.want, sig)
			}
			if c.identity != "" && sig.Identity != c.identity {
				t.Errorf("identity %q, want %q", sig.Identity, c.identity)
			}
		})
	}
}

// TestRealCosignAttestationInTags lays the same attestation out as cosign
// 2's `cosign attest` stores it, a sha256-<hex>.att layer (envelope, with
// the certificate and the dsse log entry as annotations, the signed entry
// timestamp checked offline), with cosign's verdicts.
func TestRealCosignAttestationInTags(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "cosign", "oci-attestation.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrustedRoot(sigstoreGo(t, publicGood))
	if err != nil {
		t.Fatal(err)
	}
	const github = "https://github.com/login/oauth"
	for _, c := range []struct {
		name   string
		signer string
		tlog   bool
		edit   func(ann map[string]string)
		want   facts.Outcome
	}{
		{name: "its identity", signer: "cody@soyland.com", tlog: true, want: facts.Trusted},
		{name: "another e-mail", signer: "cody@soyland.co", tlog: true, want: facts.Untrusted},
		{name: "no log entry", signer: "cody@soyland.com", tlog: true, edit: func(ann map[string]string) { delete(ann, annBundle) }, want: facts.Invalid},
		{name: "signed entry timestamp altered", signer: "cody@soyland.com", tlog: true, want: facts.Invalid, edit: func(ann map[string]string) {
			var rb rekorBundle
			if err := json.Unmarshal([]byte(ann[annBundle]), &rb); err != nil {
				t.Fatal(err)
			}
			rb.SignedEntryTimestamp[len(rb.SignedEntryTimestamp)/2] ^= 1
			out, _ := json.Marshal(rb)
			ann[annBundle] = string(out)
		}},
		// Without the log a ten-minute certificate needs a signed timestamp,
		// which cosign did not ask for here.
		{name: "log not required, no signed timestamp", signer: "cody@soyland.com", want: facts.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := attestedBy(cosignCustom, keylessID(c.signer, github))
			if !c.tlog {
				p = noLog(p)
			}
			v, err := New([]config.ImagePolicy{p}, Options{Trusted: tr})
			if err != nil {
				t.Fatal(err)
			}
			m := asCosignAttestation(t, b)
			if c.edit != nil {
				c.edit(m.legacy.annotations)
			}
			f := &facts.Facts{}
			v.decide(v.policies, []*material{m}, realDigest(t, m), f)
			got := f.Attestations[0].Found[0]
			if got.Outcome != c.want {
				t.Fatalf("outcome %q, want %q: %+v", got.Outcome, c.want, got)
			}
			if c.want != facts.Invalid && got.Identity != "cody@soyland.com (issuer "+github+")" {
				t.Fatalf("identity %q", got.Identity)
			}
		})
	}
}
