package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Verifier judges images under the image policies. It implements
// resolve.Verifier and is safe for concurrent use.
type Verifier struct {
	policies []*policy
	// probes verify a certificate under the trusted root whatever its
	// identity, to name the signer of an untrusted signature; by whether
	// the transparency log is required.
	probes map[bool]*sgverify.Verifier
	// trusted is the trusted root, to verify a key signature with the key
	// its log entry names.
	trusted root.TrustedMaterial
}

var _ resolve.Verifier = (*Verifier)(nil)

// New prepares the policies: keys are read and verifiers built now, so a
// configuration mistake stops the run before any image is read.
func New(policies []config.ImagePolicy, o Options) (*Verifier, error) {
	v := &Verifier{probes: map[bool]*sgverify.Verifier{}, trusted: o.Trusted}
	for i := range policies {
		p, err := buildPolicy(i, &policies[i], o)
		if err != nil {
			return nil, err
		}
		v.policies = append(v.policies, p)
	}
	if o.Trusted != nil && len(o.Trusted.FulcioCertificateAuthorities()) > 0 {
		for _, tlog := range []bool{true, false} {
			pv, err := keylessVerifier(tlog, o.Trusted)
			if err != nil {
				return nil, err
			}
			v.probes[tlog] = pv
		}
	}
	return v, nil
}

// Covers reports whether any policy applies to an image repository.
func (v *Verifier) Covers(name string) bool {
	for _, p := range v.policies {
		if p.covers(name) {
			return true
		}
	}
	return false
}

// Verify judges one image under every policy that covers it, and returns
// the statements of its trusted attestations. Images no policy covers are
// not read. A registry failure is left in f.Error.
func (v *Verifier) Verify(ctx context.Context, s *registry.Session, d name.Digest, f *facts.Facts) []resolve.Statement {
	var ps []*policy
	for _, p := range v.policies {
		if p.covers(f.Name) {
			ps = append(ps, p)
			f.Policies = append(f.Policies, p.name)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		f.Error = err.Error()
		return nil
	}
	mats, err := fetch(ctx, s, d)
	if err != nil {
		f.Error = err.Error()
		return nil
	}
	return v.decide(ps, mats, h, f)
}

// decide judges the signatures and attestations found for the digest h
// under the policies ps, writing the verdicts into f, and returns the
// statements of the trusted attestations.
func (v *Verifier) decide(ps []*policy, mats []*material, h v1.Hash, f *facts.Facts) []resolve.Statement {
	var stmts []resolve.Statement
	trusted := map[*material]bool{}
	for _, p := range ps {
		if len(p.signers) > 0 {
			sv := facts.SignatureVerdict{Policy: p.name, Signers: describe(p.signers)}
			for _, m := range mats {
				if !m.att {
					sv.Found = append(sv.Found, v.judge(m, h, p.signers, p.tlog))
				}
			}
			f.Signatures = append(f.Signatures, sv)
		}
		for _, a := range p.atts {
			av := facts.AttestationVerdict{Policy: p.name, Name: a.name}
			for _, m := range mats {
				if m.attestation == nil || !slices.Contains(a.types, m.attestation.PredicateType) {
					continue
				}
				at := facts.Attestation{Signature: v.judge(m, h, a.signers, p.tlog), PredicateType: m.attestation.PredicateType}
				if at.Outcome == facts.Trusted {
					at.BuilderID, at.SourceRepository = provenance(m.attestation)
					at.Failures = a.failures(at.BuilderID, at.SourceRepository)
					if !trusted[m] {
						trusted[m] = true
						stmts = append(stmts, resolve.Statement{PredicateType: m.attestation.PredicateType, Predicate: m.attestation.Predicate, Signer: at.Identity})
					}
				}
				av.Found = append(av.Found, at)
			}
			f.Attestations = append(f.Attestations, av)
		}
	}
	return stmts
}

// judge verifies one signature or attestation against signers, under a
// policy that requires the transparency log or not.
func (v *Verifier) judge(m *material, h v1.Hash, signers []*signer, tlog bool) facts.Signature {
	sig := facts.Signature{Layout: m.layout, Outcome: facts.Invalid}
	if m.problem != "" {
		sig.Problem = m.problem
		return sig
	}
	ent, err := m.entity()
	if err != nil {
		sig.Problem = err.Error()
		return sig
	}
	if err := m.checkArtifact(); err != nil {
		sig.Problem = err.Error()
		return sig
	}
	var firstErr error
	var unmet *facts.Signature
	for _, s := range signers {
		res, err := s.verifier.Verify(ent, sgverify.NewPolicy(m.artifact(), s.option))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		got := facts.Signature{Layout: m.layout, Identity: identity(res, s), Outcome: facts.Trusted}
		m.checkDigest(h, &got)
		if got.Outcome != facts.Trusted || len(s.annotations) == 0 {
			return got
		}
		// The signer's signature, but not with the annotations the
		// policy requires of it (cosign verify -a): not this signer's
		// vouching, unless another signer of the policy accepts it.
		p := m.unmetAnnotations(s.annotations, h)
		if p == "" {
			return got
		}
		if unmet == nil {
			got.Outcome, got.Problem = facts.Untrusted, "signed by "+got.Identity+", a signer of the policy, but "+p
			unmet = &got
		}
	}
	if unmet != nil {
		return *unmet
	}
	// No trusted signer made it. Whoever did, name them: a signature is
	// untrusted only if it meets every requirement of the policy but the
	// identity (a probe as strict as its keyless signers); else invalid.
	sig.Problem = condense(firstErr)
	vc, err := ent.VerificationContent()
	if err == nil && vc.Certificate() != nil {
		if probe := v.probes[tlog]; probe != nil {
			if res, err := probe.Verify(ent, sgverify.NewPolicy(m.artifact(), sgverify.WithoutIdentitiesUnsafe())); err == nil {
				sig.Identity = identity(res, nil)
				sig.Outcome = facts.Untrusted
				sig.Problem = "signed by " + sig.Identity + ", whom the policy does not trust"
				m.checkDigest(h, &sig)
				return sig
			}
		}
		sig.Identity = certIdentity(vc.Certificate())
		return sig
	}
	// A key signature carries no key; its log entry records one. Another
	// key than the policy's is an untrusted signer if the signature
	// verifies with it as strictly as the policy asks (anyone can write a
	// log entry naming a key); the policy's own key failing means the
	// signature or what it signs was altered.
	if pub := logEntryKey(ent); pub != nil {
		key := fingerprint(pub)
		sig.Identity = "key " + key
		if slices.ContainsFunc(signers, func(s *signer) bool { return s.key == key }) {
			return sig
		}
		if kv, err := keyVerifier(pub, tlog, v.trusted); err == nil {
			if _, err := kv.Verify(ent, sgverify.NewPolicy(m.artifact(), sgverify.WithKey())); err == nil {
				sig.Outcome = facts.Untrusted
				sig.Problem = "signed with " + sig.Identity + ", which the policy does not list"
				m.checkDigest(h, &sig)
				return sig
			}
		}
		sig.Identity += " (unverified log entry)"
	}
	return sig
}

// entity is the material as sigstore-go verifies it.
func (m *material) entity() (sgverify.SignedEntity, error) {
	if m.bundle != nil {
		return m.bundle, nil
	}
	b, err := m.legacy.toBundle()
	if err != nil {
		return nil, err
	}
	m.bundle = b
	return b, nil
}

// artifact is what the signature signs, taken from the material itself
// (a new option each time: it may hold a reader); checkDigest then tells
// whether that is this image.
func (m *material) artifact() sgverify.ArtifactPolicyOption {
	if m.legacy != nil && !m.legacy.dsse {
		return sgverify.WithArtifact(bytes.NewReader(m.legacy.payload))
	}
	if ms := m.bundle.GetMessageSignature(); ms != nil {
		d := ms.GetMessageDigest()
		return sgverify.WithArtifactDigest(hashName(d.GetAlgorithm().String()), d.GetDigest())
	}
	// A DSSE envelope signs its statement; its subjects name the image.
	return sgverify.WithoutArtifactUnsafe()
}

// checkArtifact refuses a message signature without the digest it signs.
func (m *material) checkArtifact() error {
	if ms := m.bundle.GetMessageSignature(); ms != nil && len(ms.GetMessageDigest().GetDigest()) == 0 {
		return fmt.Errorf("the bundle's message signature has no digest")
	}
	return nil
}

// checkDigest turns a verified signature of another image into OtherDigest.
func (m *material) checkDigest(h v1.Hash, sig *facts.Signature) {
	signed, err := m.signedDigests()
	if err != nil {
		sig.Outcome, sig.Problem = facts.Invalid, err.Error()
		return
	}
	for _, d := range signed {
		if strings.EqualFold(d, h.String()) {
			return
		}
	}
	sig.Outcome = facts.OtherDigest
	sig.Problem = fmt.Sprintf("it signs %s, not this image's digest %s", strings.Join(signed, ", "), h)
}

// signedDigests lists the digests the signed content names.
func (m *material) signedDigests() ([]string, error) {
	var st *statement
	switch {
	case m.attestation != nil:
		st = m.attestation
	case m.signing != nil:
		st = m.signing
	case m.legacy != nil && !m.legacy.dsse:
		var p struct {
			Critical struct {
				Image struct {
					Digest string `json:"docker-manifest-digest"`
				} `json:"image"`
			} `json:"critical"`
		}
		if err := json.Unmarshal(m.legacy.payload, &p); err != nil || p.Critical.Image.Digest == "" {
			return nil, fmt.Errorf("the signed payload names no image digest")
		}
		return []string{p.Critical.Image.Digest}, nil
	case m.bundle != nil && m.bundle.GetMessageSignature() != nil:
		d := m.bundle.GetMessageSignature().GetMessageDigest()
		return []string{hashName(d.GetAlgorithm().String()) + ":" + hex.EncodeToString(d.GetDigest())}, nil
	default:
		return nil, fmt.Errorf("the signed content names no image")
	}
	var out []string
	for _, s := range st.Subject {
		for alg, hx := range s.Digest {
			out = append(out, alg+":"+hx)
		}
	}
	slices.Sort(out)
	return out, nil
}

// hashName maps the bundle's hash algorithm names to OCI's.
func hashName(alg string) string {
	switch alg {
	case "SHA2_256":
		return "sha256"
	case "SHA2_384":
		return "sha384"
	case "SHA2_512":
		return "sha512"
	}
	return strings.ToLower(alg)
}

func identity(res *sgverify.VerificationResult, s *signer) string {
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		return c.SubjectAlternativeName + " (issuer " + c.Extensions.Issuer + ")"
	}
	if s != nil {
		return s.desc
	}
	return "a key"
}

// certIdentity reads a certificate's identity without trusting it, for
// a signature that did not verify: its SAN (a URI, an e-mail or Fulcio's
// otherName) and OIDC issuer, read as sigstore-go reads them. Anyone can
// write such a certificate: what it says is bounded.
func certIdentity(c *x509.Certificate) string {
	s, err := certificate.SummarizeCertificate(c)
	switch {
	case err != nil:
		return httpguard.Truncate(c.Subject.String(), httpguard.MaxLogString) + " (unverified certificate)"
	case s.Extensions.Issuer != "":
		return httpguard.Truncate(s.SubjectAlternativeName, httpguard.MaxLogString) +
			" (issuer " + httpguard.Truncate(s.Extensions.Issuer, httpguard.MaxLogString) + ", unverified certificate)"
	}
	return httpguard.Truncate(s.SubjectAlternativeName, httpguard.MaxLogString) + " (unverified certificate)"
}

// logEntryKey is the public key a log entry records, to name the key of
// a signature no listed key verifies; nil for a certificate.
func logEntryKey(ent sgverify.SignedEntity) crypto.PublicKey {
	es, err := ent.TlogEntries()
	if err != nil || len(es) == 0 {
		return nil
	}
	switch k := es[0].PublicKey().(type) {
	case *x509.Certificate:
		return nil
	default:
		return k
	}
}

// condense bounds sigstore-go's error chain. The chain is kept whole:
// its last links alone can say nothing ("0 < 1; error: %!w(<nil>)" is
// the end of "threshold not met for verified signed timestamps").
func condense(err error) string {
	if err == nil {
		return "no signer of the policy verifies it"
	}
	return httpguard.Truncate(strings.Join(strings.Fields(err.Error()), " "), httpguard.MaxLogString)
}

// LoadTrustedRoot reads a trusted_root.json (the air-gapped way).
func LoadTrustedRoot(path string) (root.TrustedMaterial, error) {
	data, err := source.ReadFile(path, maxTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return tr, nil
}
