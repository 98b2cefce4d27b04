// Package verify judges container image signatures and in-toto
// attestations with sigstore-go, under the image policies of the
// configuration file: key-based (cosign public keys) and keyless
// (certificate identity and issuer) signers, transparency-log proofs and
// signed timestamps checked against a Sigstore trusted root (a file for
// air-gapped sites, TUF when online). It reads both places signatures
// live: cosign's tag scheme (sha256-<hex>.sig and .att) and OCI 1.1
// referrers holding Sigstore bundles. It writes its verdicts into the
// image facts; the image checks turn them into findings.
package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// policy is an image policy, ready to verify with.
type policy struct {
	name    string
	images  []string
	signers []*signer
	atts    []*attestationRule
	// tlog: signatures must be in the transparency log.
	tlog bool
}

// signer is one trusted signer, with the sigstore verifier and policy
// option that accept its signatures.
type signer struct {
	desc string
	// key is the fingerprint of a key signer's key.
	key      string
	verifier *sgverify.Verifier
	option   sgverify.PolicyOption
	// annotations must be in the payload a signature signs (cosign's -a).
	annotations map[string]string
}

// attestationRule is one required attestation.
type attestationRule struct {
	name       string
	types      []string
	signers    []*signer
	builder    matcher
	sourceRepo matcher
}

// matcher is an exact value or a whole-string regular expression; the
// zero value matches anything.
type matcher struct {
	exact string
	re    *regexp.Regexp
	desc  string
}

func newMatcher(exact, re string) (matcher, error) {
	switch {
	case exact != "":
		return matcher{exact: exact, desc: exact}, nil
	case re != "":
		r, err := regexp.Compile(anchor(re))
		if err != nil {
			return matcher{}, err
		}
		return matcher{re: r, desc: "/" + re + "/"}, nil
	}
	return matcher{}, nil
}

func (m matcher) match(s string) bool {
	switch {
	case m.exact != "":
		return s == m.exact
	case m.re != nil:
		return m.re.MatchString(s)
	}
	return true
}

// Options are what verification needs besides the policies.
type Options struct {
	// Trusted is the Sigstore trusted root: Fulcio CAs, Rekor logs,
	// timestamp authorities, CT logs. Needed by keyless signers and by
	// policies that require the transparency log.
	Trusted root.TrustedMaterial
	// BaseDir resolves relative key paths (the configuration file's
	// directory).
	BaseDir string
}

// NeedsTrustedRoot reports whether the policies need a Sigstore trusted
// root: a keyless signer, or a transparency-log requirement.
func NeedsTrustedRoot(policies []config.ImagePolicy) bool {
	for i := range policies {
		p := &policies[i]
		signers := p.Signers
		for _, a := range p.Attestations {
			signers = append(signers, a.Signers...)
		}
		for _, s := range signers {
			if s.Keyless != nil || p.RequiresTransparencyLog() {
				return true
			}
		}
	}
	return false
}

func buildPolicy(i int, cp *config.ImagePolicy, o Options) (*policy, error) {
	p := &policy{name: cp.PolicyName(i), images: cp.Images, tlog: cp.RequiresTransparencyLog()}
	where := fmt.Sprintf("images.policies[%d]", i)
	var err error
	if p.signers, err = buildSigners(cp.Signers, p.tlog, o, where+".signers"); err != nil {
		return nil, err
	}
	for j, ca := range cp.Attestations {
		a := &attestationRule{name: ca.Type, types: config.AttestationTypes[ca.Type]}
		if a.types == nil {
			a.types = []string{ca.Type}
		}
		// An attestation carries no annotations: the policy's signers
		// vouch for attestations by identity alone, as cosign
		// verify-attestation checks them.
		a.signers = withoutAnnotations(p.signers)
		if len(ca.Signers) > 0 {
			if a.signers, err = buildSigners(ca.Signers, p.tlog, o, fmt.Sprintf("%s.attestations[%d].signers", where, j)); err != nil {
				return nil, err
			}
		}
		if a.builder, err = newMatcher(ca.BuilderID, ca.BuilderIDRegExp); err != nil {
			return nil, err
		}
		if a.sourceRepo, err = newMatcher(ca.SourceRepository, ca.SourceRepositoryRegExp); err != nil {
			return nil, err
		}
		p.atts = append(p.atts, a)
	}
	return p, nil
}

func buildSigners(cs []config.ImageSigner, tlog bool, o Options, where string) ([]*signer, error) {
	var out []*signer
	for i, cs := range cs {
		var s *signer
		var err error
		if cs.Keyless != nil {
			s, err = keylessSigner(cs.Keyless, tlog, o.Trusted)
		} else {
			s, err = keySigner(cs.Key, o, tlog)
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", where, i, err)
		}
		s.annotations = cs.Annotations
		out = append(out, s)
	}
	return out, nil
}

// Files the configuration names are read within bounds: a path to a
// device or a huge file is an error, not a hang. Sigstore's public trusted
// root is about 10 KB; a PEM public key under 2 KB.
const (
	maxKeyFile     = 64 << 10
	maxTrustedRoot = 16 << 20
)

// keySigner loads a PEM public key (cosign.pub). Any key hint a bundle
// carries is ignored: the signer's own key is the one tried.
func keySigner(path string, o Options, tlog bool) (*signer, error) {
	if path != "" && o.BaseDir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(o.BaseDir, path)
	}
	data, err := source.ReadFile(path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	pub, err := parsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	sv, err := keyVerifier(pub, tlog, o.Trusted)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	fp := fingerprint(pub)
	return &signer{desc: "key " + path + " (" + fp + ")", key: fp, verifier: sv, option: sgverify.WithKey()}, nil
}

// keyVerifier accepts signatures made with pub: logged, with the log's
// signed time, when tlog (a key has no validity window to hold the time
// against), else the key alone.
func keyVerifier(pub crypto.PublicKey, tlog bool, trusted root.TrustedMaterial) (*sgverify.Verifier, error) {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	key := root.NewExpiringKey(v, time.Time{}, time.Time{})
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
	if !tlog {
		return sgverify.NewVerifier(keys, sgverify.WithNoObserverTimestamps())
	}
	if trusted == nil {
		return nil, errors.New("the transparency log is required but no trusted root was loaded")
	}
	return sgverify.NewVerifier(root.TrustedMaterialCollection{trusted, keys}, sgverify.WithTransparencyLog(1), sgverify.WithIntegratedTimestamps(1))
}

// parsePublicKey reads a key as cosign's --key does (PKIX "PUBLIC KEY" or
// PKCS #1 "RSA PUBLIC KEY"), or a certificate's key.
func parsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM public key")
	}
	if block.Type == "CERTIFICATE" {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return cryptoutils.UnmarshalPEMToPublicKey(data)
}

// fingerprint names a key as ssh and cosign users read it.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unknown key"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + hex.EncodeToString(sum[:8])
}

func keylessSigner(k *config.KeylessIdentity, tlog bool, trusted root.TrustedMaterial) (*signer, error) {
	if trusted == nil {
		return nil, errors.New("a keyless signer needs the Sigstore trusted root")
	}
	id, err := sgverify.NewShortCertificateIdentity(k.Issuer, anchor(k.IssuerRegExp), k.Subject, anchor(k.SubjectRegExp))
	if err != nil {
		return nil, err
	}
	sv, err := keylessVerifier(tlog, trusted)
	if err != nil {
		return nil, err
	}
	issuer := k.Issuer
	if issuer == "" {
		issuer = "/" + k.IssuerRegExp + "/"
	}
	subject := k.Subject
	if subject == "" {
		subject = "/" + k.SubjectRegExp + "/"
	}
	return &signer{desc: "keyless " + subject + " (issuer " + issuer + ")", verifier: sv, option: sgverify.WithCertificateIdentity(id)}, nil
}

// anchor makes a policy's regular expression match whole values, as
// people expect of an identity pattern (sigstore-go's matchers search).
func anchor(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + re + ")$"
}

// keylessVerifier accepts Fulcio certificates of the trusted root: an
// observer timestamp (the log's integration time, or an RFC 3161 one)
// proves the short-lived certificate was valid when it signed; SCTs are
// required when the trusted root lists CT logs, as cosign does.
func keylessVerifier(tlog bool, trusted root.TrustedMaterial) (*sgverify.Verifier, error) {
	var opts []sgverify.VerifierOption
	if tlog {
		opts = append(opts, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	} else {
		opts = append(opts, sgverify.WithSignedTimestamps(1))
	}
	if len(trusted.CTLogs()) > 0 {
		opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
	}
	return sgverify.NewVerifier(trusted, opts...)
}

// covers reports whether the policy applies to an image repository.
func (p *policy) covers(name string) bool {
	for _, g := range p.images {
		if check.MatchImageGlob(g, name) {
			return true
		}
	}
	return false
}

func withoutAnnotations(ss []*signer) []*signer {
	out := make([]*signer, len(ss))
	for i, s := range ss {
		c := *s
		c.annotations = nil
		out[i] = &c
	}
	return out
}

// describe names the signers for messages, with the annotations they
// require.
func describe(ss []*signer) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.desc
		if len(s.annotations) > 0 {
			kv := make([]string, 0, len(s.annotations))
			for _, k := range slices.Sorted(maps.Keys(s.annotations)) {
				kv = append(kv, k+"="+s.annotations[k])
			}
			out[i] += " with annotations " + strings.Join(kv, ", ")
		}
	}
	return out
}
