// Package sigtest signs and attests images in tests, in the formats real
// tools write: cosign's tag scheme (sha256-<hex>.sig and .att, with the
// certificate, the Rekor entry and its signed timestamp as annotations)
// and OCI 1.1 referrers holding Sigstore bundles (cosign 3). Keyless
// signatures come from sigstore-go's virtual Sigstore (pkg/testing/ca:
// Fulcio, Rekor and a timestamp authority in process); keys are ECDSA
// P-256 PEM keys, as cosign generates them. Tests only.
package sigtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// Sigstore is a Sigstore instance in the test, with a second certificate
// authority whose certificates can be made valid at any time (to sign
// with a certificate that has since expired).
type Sigstore struct {
	VS *ca.VirtualSigstore

	oldRoot         *x509.Certificate
	oldIntermediate *x509.Certificate
	oldKey          *ecdsa.PrivateKey
}

// New starts a Sigstore.
func New(t testing.TB) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	// sigstore-go's intermediates start two minutes ago; this one has been
	// valid for hours, so that its leaves can have expired.
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "old-intermediate"},
		NotBefore: time.Now().Add(-5 * time.Hour), NotAfter: time.Now().Add(5 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true, IsCA: true,
	}, rootCert, &interKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Sigstore{VS: vs, oldRoot: rootCert, oldIntermediate: inter, oldKey: interKey}
}

// TrustedRoot is the instance's trusted root. It lists no CT log: the
// virtual Fulcio embeds no SCTs, as a private deployment's may not.
func (s *Sigstore) TrustedRoot(t testing.TB) *root.TrustedRoot {
	t.Helper()
	cas := append(s.VS.FulcioCertificateAuthorities(), &root.FulcioCertificateAuthority{
		Root: s.oldRoot, Intermediates: []*x509.Certificate{s.oldIntermediate},
		ValidityPeriodStart: time.Now().Add(-24 * time.Hour), ValidityPeriodEnd: time.Now().Add(24 * time.Hour),
		URI: "https://old.fulcio.test",
	})
	// The virtual log's ID is its hex string; a trusted root file holds
	// the raw key ID, as Sigstore's does.
	logs := map[string]*root.TransparencyLog{}
	for id, l := range s.VS.RekorLogs() {
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		c := *l
		c.ID = raw
		logs[id] = &c
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, nil, s.VS.TimestampingAuthorities(), logs)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// WriteTrustedRoot writes trusted_root.json into dir, as an air-gapped
// site would copy it, and returns its path.
func (s *Sigstore) WriteTrustedRoot(t testing.TB, dir string) string {
	t.Helper()
	b, err := s.TrustedRoot(t).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Key is a cosign-style key pair: ECDSA P-256.
type Key struct {
	Private *ecdsa.PrivateKey
	// PEM is the public key as cosign.pub holds it.
	PEM []byte
}

// NewKey generates a key.
func NewKey(t testing.TB) *Key {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: k, PEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

// Write writes the public key to dir/name and returns the path.
func (k *Key) Write(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, k.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (k *Key) sign(t testing.TB, msg []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, k.Private, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// Payload is cosign's simple-signing payload for an image.
func Payload(d name.Digest) []byte {
	return PayloadWith(d, nil)
}

// PayloadWith is Payload with the optional map `cosign sign -a key=value`
// fills (nil: cosign's "optional":null).
func PayloadWith(d name.Digest, optional map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"identity": map[string]string{"docker-reference": d.Context().String()},
			"image":    map[string]string{"docker-manifest-digest": d.DigestStr()},
			"type":     "cosign container image signature",
		},
		"optional": optional,
	})
	return b
}

// Layer is one signature or attestation layer of cosign's tag scheme.
type Layer struct {
	Payload     []byte
	MediaType   types.MediaType
	Annotations map[string]string
}

// SignKeyless signs payload with a fresh certificate for identity and
// issuer, logged in the transparency log (an inclusion promise).
func (s *Sigstore) SignKeyless(t testing.TB, payload []byte, identity, issuer string) Layer {
	t.Helper()
	te, err := s.VS.Sign(identity, issuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	sig := sc.MessageSignatureContent().Signature()
	certPEM := pemCert(vc.Certificate())
	entries, _ := te.TlogEntries()
	return Layer{Payload: payload, MediaType: "application/vnd.dev.cosign.simplesigning.v1+json", Annotations: map[string]string{
		"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig),
		"dev.sigstore.cosign/certificate":    string(certPEM),
		"dev.sigstore.cosign/bundle":         s.rekorBundle(t, entries[0].TransparencyLogEntry()),
	}}
}

// SignExpired signs payload with a certificate valid for ten minutes
// from forty minutes ago. logged says whether the transparency log
// recorded the signature while the certificate was valid.
func (s *Sigstore) SignExpired(t testing.TB, payload []byte, identity, issuer string, logged bool) Layer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Now().Add(-40 * time.Minute)
	cert, err := ca.GenerateLeafCert(identity, issuer, notBefore, priv, s.oldIntermediate, s.oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	l := Layer{Payload: payload, MediaType: "application/vnd.dev.cosign.simplesigning.v1+json", Annotations: map[string]string{
		"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig),
		"dev.sigstore.cosign/certificate":    string(pemCert(cert)),
	}}
	if logged {
		l.Annotations["dev.sigstore.cosign/bundle"] = s.logHashedRekord(t, payload, sig, pemCert(cert), notBefore.Add(5*time.Minute))
	}
	return l
}

// SignKey signs payload with a key, logged in the transparency log or not.
func (s *Sigstore) SignKey(t testing.TB, payload []byte, k *Key, logged bool) Layer {
	t.Helper()
	sig := k.sign(t, payload)
	l := Layer{Payload: payload, MediaType: "application/vnd.dev.cosign.simplesigning.v1+json", Annotations: map[string]string{
		"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sig),
	}}
	if logged {
		l.Annotations["dev.sigstore.cosign/bundle"] = s.logHashedRekord(t, payload, sig, k.PEM, time.Now())
	}
	return l
}

// Statement is an in-toto statement about an image.
func Statement(d name.Digest, predicateType string, predicate any) []byte {
	h, _ := v1.NewHash(d.DigestStr())
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": d.Context().String(), "digest": map[string]string{h.Algorithm: h.Hex}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	return b
}

// SignStatement is the statement cosign 3 signs an image with (`cosign
// sign`, new bundle format): the image's digest as its only subject, with
// the `-a key=value` annotations on that subject, and an empty predicate.
func SignStatement(d name.Digest, annotations map[string]any) []byte {
	h, _ := v1.NewHash(d.DigestStr())
	subject := map[string]any{"digest": map[string]string{h.Algorithm: h.Hex}}
	if annotations != nil {
		subject["annotations"] = annotations
	}
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{subject},
		"predicateType": "https://sigstore.dev/cosign/sign/v1",
		"predicate":     map[string]any{},
	})
	return b
}

// AttestKeyless signs a statement in a DSSE envelope for cosign's .att
// tag, with a fresh certificate, logged with an inclusion promise.
func (s *Sigstore) AttestKeyless(t testing.TB, stmt []byte, identity, issuer string) Layer {
	t.Helper()
	te, err := s.VS.AttestAtTime(identity, issuer, stmt, time.Now().Add(5*time.Minute), false)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	env, err := json.Marshal(sc.EnvelopeContent().RawEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := te.TlogEntries()
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	_ = json.Unmarshal(stmt, &st)
	return Layer{Payload: env, MediaType: "application/vnd.dsse.envelope.v1+json", Annotations: map[string]string{
		"dev.sigstore.cosign/certificate": string(pemCert(vc.Certificate())),
		"dev.sigstore.cosign/bundle":      s.rekorBundle(t, entries[0].TransparencyLogEntry()),
		"predicateType":                   st.PredicateType,
	}}
}

// BundleKeyless signs a statement as cosign 3 does: a DSSE envelope in a
// Sigstore bundle (v0.3) with an inclusion proof. Sign an image with
// Statement(d, "https://sigstore.dev/cosign/sign/v1", map[string]any{}).
func (s *Sigstore) BundleKeyless(t testing.TB, stmt []byte, identity, issuer string) []byte {
	t.Helper()
	te, err := s.VS.AttestAtTime(identity, issuer, stmt, time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, _ := te.VerificationContent()
	sc, _ := te.SignatureContent()
	raw := sc.EnvelopeContent().RawEnvelope()
	payload, err := base64.StdEncoding.DecodeString(raw.Payload)
	if err != nil {
		t.Fatal(err)
	}
	env := &protodsse.Envelope{Payload: payload, PayloadType: raw.PayloadType}
	for _, sg := range raw.Signatures {
		b, err := base64.StdEncoding.DecodeString(sg.Sig)
		if err != nil {
			t.Fatal(err)
		}
		env.Signatures = append(env.Signatures, &protodsse.Signature{Sig: b, Keyid: sg.KeyID})
	}
	entries, _ := te.TlogEntries()
	tle := entries[0].TransparencyLogEntry()
	s.complete(t, tle)
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries: []*protorekor.TransparencyLogEntry{tle},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: env},
	}
	b, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// complete adds what tlog.Entry leaves out of its protobuf form: the kind
// and version, and the log's signed promise.
func (s *Sigstore) complete(t testing.TB, tle *protorekor.TransparencyLogEntry) {
	t.Helper()
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(tle.CanonicalizedBody, &kv); err != nil {
		t.Fatal(err)
	}
	tle.KindVersion = &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion}
	set, err := s.VS.RekorSignPayload(tlog.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), IntegratedTime: tle.IntegratedTime,
		LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
}

// rekorBundle writes a log entry as cosign's bundle annotation.
func (s *Sigstore) rekorBundle(t testing.TB, tle *protorekor.TransparencyLogEntry) string {
	t.Helper()
	s.complete(t, tle)
	b, _ := json.Marshal(map[string]any{
		"SignedEntryTimestamp": tle.InclusionPromise.SignedEntryTimestamp,
		"Payload": map[string]any{
			"body": base64.StdEncoding.EncodeToString(tle.CanonicalizedBody), "integratedTime": tle.IntegratedTime,
			"logIndex": tle.LogIndex, "logID": hex.EncodeToString(tle.LogId.KeyId),
		},
	})
	return string(b)
}

// logHashedRekord records a signature in the log at a given time and
// returns cosign's bundle annotation.
func (s *Sigstore) logHashedRekord(t testing.TB, payload, sig, publicKeyPEM []byte, at time.Time) string {
	t.Helper()
	sum := sha256.Sum256(payload)
	body, _ := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]string{"algorithm": "sha256", "value": hex.EncodeToString(sum[:])}},
			"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]string{"content": base64.StdEncoding.EncodeToString(publicKeyPEM)}},
		},
	})
	logID, err := s.VS.RekorLogID()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := hex.DecodeString(logID)
	tle := &protorekor.TransparencyLogEntry{LogIndex: 7, LogId: &protocommon.LogId{KeyId: id}, IntegratedTime: at.Unix(), CanonicalizedBody: body}
	return s.rekorBundle(t, tle)
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// PushLayers writes cosign's signature (".sig") or attestation (".att")
// image for d, replacing what was there.
func PushLayers(t testing.TB, reg *registrytest.Registry, d name.Digest, suffix string, layers ...Layer) {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(l.Payload, l.MediaType), Annotations: l.Annotations})
		if err != nil {
			t.Fatal(err)
		}
	}
	h, _ := v1.NewHash(d.DigestStr())
	repo := d.Context().RepositoryStr()
	reg.Push(t, repo+":"+h.Algorithm+"-"+h.Hex+suffix, img)
}

// PushBundle attaches a Sigstore bundle to d as an OCI 1.1 referrer, in
// the layout of cosign's bundle specification.
func PushBundle(t testing.TB, reg *registrytest.Registry, d name.Digest, bundleJSON []byte, predicateType string) {
	t.Helper()
	const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	h, _ := v1.NewHash(d.DigestStr())
	sum := sha256.Sum256(bundleJSON)
	emptyCfg := []byte("{}")
	cfgSum := sha256.Sum256(emptyCfg)
	desc := subjectDescriptor(t, reg, d)
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     string(types.OCIManifestSchema1),
		"artifactType":  bundleType,
		"config":        map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:" + hex.EncodeToString(cfgSum[:]), "size": len(emptyCfg)},
		"layers": []any{map[string]any{"mediaType": bundleType, "digest": "sha256:" + hex.EncodeToString(sum[:]), "size": len(bundleJSON),
			"annotations": map[string]string{"org.opencontainers.image.title": h.Algorithm + "-" + h.Hex + ".sigstore.json"}}},
		"subject":     desc,
		"annotations": map[string]string{"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicateType},
	}
	raw, _ := json.Marshal(manifest)
	repo := d.Context()
	for _, blob := range [][]byte{bundleJSON, emptyCfg} {
		if err := remote.WriteLayer(repo, static.NewLayer(blob, types.MediaType(bundleType)), reg.Options()...); err != nil {
			t.Fatal(err)
		}
	}
	mSum := sha256.Sum256(raw)
	if err := remote.Put(repo.Digest("sha256:"+hex.EncodeToString(mSum[:])), rawManifest(raw), reg.Options()...); err != nil {
		t.Fatal(err)
	}
}

// rawManifest is a manifest written as is.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func subjectDescriptor(t testing.TB, reg *registrytest.Registry, d name.Digest) map[string]any {
	t.Helper()
	desc, err := remote.Head(d, reg.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"mediaType": string(desc.MediaType), "digest": d.DigestStr(), "size": desc.Size}
}
