package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/verify"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// cosignLayer is one real layer of a cosign signature image
// (sha256-<hex>.sig), as testdata/cosign/*.sig.json keeps it: the signed
// payload's exact bytes and the layer's annotations (see the README there).
type cosignLayer struct {
	Image       string            `json:"image"`
	MediaType   types.MediaType   `json:"mediaType"`
	Payload     string            `json:"payload"`
	Annotations map[string]string `json:"annotations"`
}

func readCosignLayer(t *testing.T, name string) cosignLayer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cosign", name+".sig.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l cosignLayer
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l cosignLayer) layer(edit func(payload *string, ann map[string]string)) sigtest.Layer {
	payload, ann := l.Payload, map[string]string{}
	for k, v := range l.Annotations {
		ann[k] = v
	}
	if edit != nil {
		edit(&payload, ann)
	}
	return sigtest.Layer{Payload: []byte(payload), MediaType: l.MediaType, Annotations: ann}
}

// publicGood is the public-good instance's trusted root as sigstore-go
// v1.3.0 ships it: the Rekor key that signed these entries' timestamps.
func publicGood(t *testing.T, rel string) verify.Options {
	t.Helper()
	tr, err := verify.LoadTrustedRoot(sharedtest.ModulePath(t, "github.com/sigstore/sigstore-go", rel))
	if err != nil {
		t.Fatal(err)
	}
	return verify.Options{Trusted: tr}
}

// TestRealCosignKeySignatures reads real signatures `cosign sign --key`
// pushed (cosign 2, public-good Rekor), stored in the in-process registry
// under cosign's tag for the digest they sign, and gives cosign's
// verdicts: `cosign verify --key` passes with the signer's key and checks
// the Rekor bundle annotation offline; another key, an altered payload,
// signature or signed entry timestamp, or a missing log entry fail; with
// `--insecure-ignore-tlog` the key alone decides; the payload's optional
// fields and docker-reference are not compared, its digest is; with
// `-a key=value` (a signer's annotations) the optional fields are.
func TestRealCosignKeySignatures(t *testing.T) {
	e := setup(t)
	opts := publicGood(t, "pkg/testing/data/trusted-roots/public-good.json")
	keys := map[string]string{}
	for _, n := range []string{"snyk-broker", "kube-news"} {
		keys[n] = filepath.Join(e.dir, n+".pub")
		b, err := os.ReadFile(filepath.Join("testdata", "cosign", n+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keys[n], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	keys["other"] = sigtest.NewKey(t).Write(t, e.dir, "other.pub")
	otherEntry := func(_ *string, ann map[string]string) {
		ann["dev.sigstore.cosign/bundle"] = readCosignLayer(t, "kube-news").Annotations["dev.sigstore.cosign/bundle"]
	}
	retag := func(p *string, _ map[string]string) {
		*p = strings.Replace(*p, "4.169.1-github-com", "4.169.2-github-com", 1)
	}
	pol := func(key string, tlog bool, ann config.SignedAnnotations) config.ImagePolicy {
		p := policy(e, config.ImageSigner{Key: key, Annotations: ann})
		p.TransparencyLog = &tlog
		return p
	}
	flip := func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	i := 0
	for _, c := range []struct {
		name, sig, key string
		tlog           bool
		opts           *verify.Options
		edit           func(payload *string, ann map[string]string)
		otherDigest    bool // stored next to another image
		annotations    config.SignedAnnotations
		want           facts.Outcome
		contains       string
	}{
		{name: "snyk broker, its key (optional tag)", sig: "snyk-broker", key: "snyk-broker", tlog: true, want: facts.Trusted, contains: "snyk-broker.pub"},
		{name: "kube-news, its key (optional null)", sig: "kube-news", key: "kube-news", tlog: true, want: facts.Trusted, contains: "kube-news.pub"},
		{name: "another key", sig: "snyk-broker", key: "kube-news", tlog: true, want: facts.Untrusted, contains: "which the policy does not list"},
		{name: "another key, no log", sig: "kube-news", key: "snyk-broker", want: facts.Untrusted, contains: "which the policy does not list"},
		// The log entry of another signature names another key: the
		// signature is not that key's, so it is not an untrusted signer's
		// but a signature that does not verify.
		{name: "another signature's log entry", sig: "snyk-broker", key: "snyk-broker", tlog: true, edit: otherEntry, want: facts.Invalid},
		{name: "another signature's log entry, no log", sig: "snyk-broker", key: "other", edit: otherEntry, want: facts.Invalid},
		{name: "no log required", sig: "snyk-broker", key: "snyk-broker", want: facts.Trusted},
		{name: "no log entry, log required", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			edit: func(_ *string, ann map[string]string) { delete(ann, "dev.sigstore.cosign/bundle") }, want: facts.Invalid},
		{name: "no log entry, no log required", sig: "kube-news", key: "kube-news",
			edit: func(_ *string, ann map[string]string) { delete(ann, "dev.sigstore.cosign/bundle") }, want: facts.Trusted},
		{name: "optional field altered", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			edit: retag, want: facts.Invalid},
		{name: "optional field altered, no log", sig: "snyk-broker", key: "snyk-broker",
			edit: retag, want: facts.Invalid},
		{name: "signed entry timestamp altered", sig: "kube-news", key: "kube-news", tlog: true,
			edit: func(_ *string, ann map[string]string) {
				var rb map[string]any
				if err := json.Unmarshal([]byte(ann["dev.sigstore.cosign/bundle"]), &rb); err != nil {
					t.Fatal(err)
				}
				rb["SignedEntryTimestamp"] = flip(rb["SignedEntryTimestamp"].(string))
				b, _ := json.Marshal(rb)
				ann["dev.sigstore.cosign/bundle"] = string(b)
			}, want: facts.Invalid},
		{name: "another signature than the log's", sig: "kube-news", key: "kube-news", tlog: true,
			edit: func(_ *string, ann map[string]string) {
				ann["dev.cosignproject.cosign/signature"] = readCosignLayer(t, "snyk-broker").Annotations["dev.cosignproject.cosign/signature"]
			}, want: facts.Invalid},
		{name: "a trusted root without the Rekor key", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			opts: &verify.Options{Trusted: publicGood(t, "pkg/testing/data/trusted-roots/scaffolding.json").Trusted}, want: facts.Invalid},
		// cosign verify -a: snyk's payload was signed with the
		// annotation tag=4.169.1-github-com (cosign sign -a); kube-news's
		// with none ("optional":null).
		{name: "the annotation it was signed with", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			annotations: config.SignedAnnotations{"tag": "4.169.1-github-com"}, want: facts.Trusted, contains: "snyk-broker.pub"},
		{name: "another annotation value", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			annotations: config.SignedAnnotations{"tag": "4.169.2-github-com"}, want: facts.Untrusted,
			contains: `snyk-broker.pub (SHA256:`},
		{name: "another annotation value, what was signed named", sig: "snyk-broker", key: "snyk-broker",
			annotations: config.SignedAnnotations{"tag": "4.169.2-github-com"}, want: facts.Untrusted,
			contains: `a signer of the policy, but annotation tag is "4.169.1-github-com", not "4.169.2-github-com"`},
		{name: "an annotation besides the one signed", sig: "snyk-broker", key: "snyk-broker", tlog: true,
			annotations: config.SignedAnnotations{"tag": "4.169.1-github-com", "env": "prod"}, want: facts.Untrusted, contains: `no annotation env (the policy requires "prod")`},
		{name: "an annotation, none signed", sig: "kube-news", key: "kube-news", tlog: true,
			annotations: config.SignedAnnotations{"tag": "latest"}, want: facts.Untrusted, contains: `no annotation tag`},
		{name: "copied next to another image", sig: "snyk-broker", key: "snyk-broker", tlog: true, otherDigest: true,
			want: facts.OtherDigest, contains: "sha256:a2ff856b180a532c3e31a90b9788cad567fa05d78c84bccc637de54c6f46ebf2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			i++
			l := readCosignLayer(t, c.sig)
			signed, err := name.NewDigest(l.Image)
			if err != nil {
				t.Fatal(err)
			}
			d, err := name.NewDigest(fmt.Sprintf("%s/acme/real%d@", e.reg.Host, i) + signed.DigestStr())
			if err != nil {
				t.Fatal(err)
			}
			if c.otherDigest {
				d = e.image(t, "acme/copied:v1")
			}
			sigtest.PushLayers(t, e.reg, d, ".sig", l.layer(c.edit))
			o := opts
			if c.opts != nil {
				o = *c.opts
			}
			v, err := verify.New([]config.ImagePolicy{pol(keys[c.key], c.tlog, c.annotations)}, o)
			if err != nil {
				t.Fatal(err)
			}
			vd := only(t, e.judge(t, v, d))
			expect(t, vd, c.want, c.contains)
			if vd.Found[0].Layout != facts.LayoutCosignTag {
				t.Fatalf("layout %q", vd.Found[0].Layout)
			}
		})
	}
}

// TestRealCosignAttestationReferrer stores the attestation cosign's own
// tests verify (testdata/cosign/oci-attestation.sigstore.json) as cosign 3
// does, an OCI 1.1 referrer of an image: genuine, by the right signer, but
// its subject is the image cosign's test attested, not this one.
func TestRealCosignAttestationReferrer(t *testing.T) {
	e := setup(t)
	b, err := os.ReadFile(filepath.Join("testdata", "cosign", "oci-attestation.sigstore.json"))
	if err != nil {
		t.Fatal(err)
	}
	const custom = "https://cosign.sigstore.dev/attestation/v1"
	d := e.image(t, "acme/app:v1")
	sigtest.PushBundle(t, e.reg, d, b, custom)
	p := config.ImagePolicy{Name: "acme", Images: []string{e.reg.Host + "/acme/**"}, Attestations: []config.RequiredAttestation{
		{Type: custom, Signers: []config.ImageSigner{{Keyless: &config.KeylessIdentity{Subject: "cody@soyland.com", Issuer: "https://github.com/login/oauth"}}}}}}
	v, err := verify.New([]config.ImagePolicy{p}, publicGood(t, "pkg/testing/data/trusted-roots/public-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := e.judge(t, v, d)
	if len(f.Attestations) != 1 || len(f.Attestations[0].Found) != 1 {
		t.Fatalf("attestations: %+v", f.Attestations)
	}
	a := f.Attestations[0].Found[0]
	if a.Outcome != facts.OtherDigest || a.Layout != facts.LayoutReferrer || a.Identity != "cody@soyland.com (issuer https://github.com/login/oauth)" ||
		!strings.Contains(a.Problem, "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4") {
		t.Fatalf("judged %+v", a)
	}
}

// TestKeyFormsCosignReads: a policy key is read as `cosign verify --key`
// reads it (sigstore's cryptoutils): PKIX public keys of every type cosign
// signs with, and RSA keys in PKCS #1 form, named by the same fingerprint
// whatever the encoding. A private key given by mistake is refused.
func TestKeyFormsCosignReads(t *testing.T) {
	e := setup(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkix := func(k any) []byte {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	snyk, err := os.ReadFile(filepath.Join("testdata", "cosign", "snyk-broker.pub"))
	if err != nil {
		t.Fatal(err)
	}
	d := e.image(t, "acme/app:unsigned")
	fingerprintOf := func(keyPEM []byte) string {
		t.Helper()
		path := filepath.Join(e.dir, "key.pem")
		if err := os.WriteFile(path, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		off := false
		p := policy(e, config.ImageSigner{Key: path})
		p.TransparencyLog = &off
		v, err := verify.New([]config.ImagePolicy{p}, verify.Options{})
		if err != nil {
			t.Fatalf("%s: %v", keyPEM, err)
		}
		desc := only(t, e.judge(t, v, d)).Signers[0]
		return desc[strings.LastIndex(desc, "(SHA256:"):]
	}
	for name, k := range map[string][]byte{"ECDSA P-256 (snyk)": snyk, "ECDSA P-384": pkix(&p384.PublicKey), "Ed25519": pkix(edPub)} {
		if fp := fingerprintOf(k); !strings.HasPrefix(fp, "(SHA256:") {
			t.Errorf("%s: %q", name, fp)
		}
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	if a, b := fingerprintOf(pkix(&rsaKey.PublicKey)), fingerprintOf(pkcs1); a != b {
		t.Errorf("RSA PKIX %s, PKCS #1 %s", a, b)
	}

	priv := filepath.Join(e.dir, "cosign.key")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte("{}")}), 0o600); err != nil {
		t.Fatal(err)
	}
	off := false
	_, err = verify.New([]config.ImagePolicy{{Images: []string{"**"}, TransparencyLog: &off, Signers: []config.ImageSigner{{Key: priv}}}}, verify.Options{})
	if err == nil || !strings.Contains(err.Error(), "ENCRYPTED SIGSTORE PRIVATE KEY") {
		t.Fatalf("a private key as the policy's key: %v", err)
	}
}

// TestSimpleSigningFieldsCosignIgnores: like cosign's SimpleClaimVerifier,
// only critical.image.docker-manifest-digest is compared with the image;
// the older "atomic container signature" type, another docker-reference
// (the image was copied to another registry) and optional fields pass.
func TestSimpleSigningFieldsCosignIgnores(t *testing.T) {
	e := setup(t)
	key := sigtest.NewKey(t)
	v := e.verifier(t, policy(e, config.ImageSigner{Key: key.Write(t, e.dir, "cosign.pub")}))
	payload := func(d name.Digest, typ, ref string, optional any) []byte {
		b, err := json.Marshal(map[string]any{
			"critical": map[string]any{"identity": map[string]string{"docker-reference": ref}, "image": map[string]string{"docker-manifest-digest": d.DigestStr()}, "type": typ},
			"optional": optional,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i, c := range []struct {
		typ, ref string
		optional any
	}{
		{"atomic container signature", "", nil},
		{"cosign container image signature", "docker.io/library/elsewhere", nil},
		{"cosign container image signature", "", map[string]any{"tag": "v1", "sbom": "none"}},
	} {
		d := e.image(t, fmt.Sprintf("acme/app:v%d", i))
		ref := c.ref
		if ref == "" {
			ref = d.Context().String()
		}
		sigtest.PushLayers(t, e.reg, d, ".sig", e.ss.SignKey(t, payload(d, c.typ, ref, c.optional), key, true))
		expect(t, only(t, e.judge(t, v, d)), facts.Trusted, "")
	}
}
