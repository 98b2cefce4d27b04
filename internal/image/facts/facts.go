// Package facts holds what kubeward learns about container images from
// their registries: the digest a reference resolves to, the verdict of the
// image policy on its signatures and attestations, and what the
// vulnerability engine finds in it. Facts are keyed by digest, learnt once
// per run (internal/image/resolve), attached to the inventory, and read by
// the image checks like any other input. The package is data only: it
// depends on nothing, so the inventory and the checks can import it.
package facts

import "sort"

// Facts is what is known about one image: a repository and a digest. Every
// reference that resolves to it shares one value.
type Facts struct {
	// Name is the repository with its registry (ghcr.io/acme/app).
	Name string `json:"name"`
	// Digest is the manifest digest the reference resolved to; "" when it
	// did not resolve (Error says why).
	Digest string `json:"digest,omitempty"`
	// Error says why the image could not be read: the registry is down or
	// slow, the image or tag does not exist, access was denied. Checks that
	// need what is missing report it; they never pass the image.
	Error string `json:"error,omitempty"`
	// Unverifiable says why signatures and attestations could not be
	// checked though image policies may cover the image (it was read from
	// disk, where they do not live): a coverage gap, never a pass.
	Unverifiable string `json:"unverifiable,omitempty"`
	// Policies names the image policies that apply to the image, in the
	// order of the configuration file.
	Policies []string `json:"policies,omitempty"`
	// Signatures holds one verdict per policy that requires signers.
	Signatures []SignatureVerdict `json:"signatures,omitempty"`
	// Attestations holds one verdict per attestation a policy requires.
	Attestations []AttestationVerdict `json:"attestations,omitempty"`
	// Analyses are what analyzers (the vulnerability engine) added, by
	// analyzer name; an analyzer that failed leaves its error instead.
	Analyses map[string]Analysis `json:"analyses,omitempty"`
}

// Ref is the image's canonical reference, repository@digest, or the
// repository alone when it did not resolve.
func (f *Facts) Ref() string {
	if f.Digest == "" {
		return f.Name
	}
	return f.Name + "@" + f.Digest
}

// Analysis is one analyzer's result for one image: its value (the
// analyzer's own type) or why it could not be made.
type Analysis struct {
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

// Layouts where signatures and attestations are found.
const (
	// LayoutCosignTag is cosign's tag scheme: sha256-<hex>.sig and .att in
	// the image's repository, one layer per signature.
	LayoutCosignTag = "cosign tag"
	// LayoutReferrer is an OCI 1.1 referrer holding a Sigstore bundle.
	LayoutReferrer = "OCI referrer"
)

// Outcome is what became of one signature or attestation.
type Outcome string

const (
	// Trusted: it verified and a signer of the policy made it.
	Trusted Outcome = "trusted"
	// Untrusted: it verified, but by an identity or key the policy does not trust.
	Untrusted Outcome = "untrusted"
	// Invalid: it does not verify (bad signature, certificate not valid
	// when signed, no transparency-log proof where one is required).
	Invalid Outcome = "invalid"
	// OtherDigest: it verifies but names another image's digest: it was
	// copied from another image, or the image was swapped.
	OtherDigest Outcome = "other-digest"
)

// Signature is one signature (or attestation envelope) found for an image.
type Signature struct {
	Layout string `json:"layout"`
	// Identity says who signed when it could be read: a certificate's
	// subject and issuer, or the key that verified it.
	Identity string  `json:"identity,omitempty"`
	Outcome  Outcome `json:"outcome"`
	// Problem explains an outcome other than Trusted.
	Problem string `json:"problem,omitempty"`
}

// SignatureVerdict is a policy's verdict on an image's signatures.
type SignatureVerdict struct {
	Policy string `json:"policy"`
	// Signers describes the signers the policy trusts, for messages.
	Signers []string `json:"signers"`
	// Found lists every signature found, whatever its outcome.
	Found []Signature `json:"found,omitempty"`
}

// Trusted reports whether a signature by a trusted signer verified.
func (v *SignatureVerdict) Trusted() bool { return hasOutcome(v.Found, Trusted) }

// Worst is the outcome that best explains an untrusted verdict: another
// image's digest, then an invalid signature, then an untrusted signer;
// "" when nothing was found.
func (v *SignatureVerdict) Worst() Outcome { return worst(v.Found) }

// AttestationVerdict is a policy's verdict on one attestation it requires.
type AttestationVerdict struct {
	Policy string `json:"policy"`
	// Name is the attestation as the policy names it (slsa-provenance,
	// spdx, cyclonedx, or a predicate type URI).
	Name string `json:"name"`
	// Found lists the attestations of the required predicate types.
	Found []Attestation `json:"found,omitempty"`
}

// Attestation is one in-toto attestation of a required type.
type Attestation struct {
	Signature
	PredicateType string `json:"predicateType"`
	// Failures are the policy conditions the trusted statement does not
	// meet (builder id, source repository); empty when it passes.
	Failures []string `json:"failures,omitempty"`
	// BuilderID and SourceRepository are read from SLSA provenance.
	BuilderID        string `json:"builderID,omitempty"`
	SourceRepository string `json:"sourceRepository,omitempty"`
}

// Passed reports whether a trusted attestation meets every condition.
func (v *AttestationVerdict) Passed() bool {
	for _, a := range v.Found {
		if a.Outcome == Trusted && len(a.Failures) == 0 {
			return true
		}
	}
	return false
}

// Failing returns the trusted attestations that fail a condition: the
// attestation exists and is trusted, but says the wrong thing.
func (v *AttestationVerdict) Failing() []Attestation {
	var out []Attestation
	for _, a := range v.Found {
		if a.Outcome == Trusted && len(a.Failures) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// Worst is as SignatureVerdict.Worst, over the attestations found.
func (v *AttestationVerdict) Worst() Outcome {
	sigs := make([]Signature, len(v.Found))
	for i := range v.Found {
		sigs[i] = v.Found[i].Signature
	}
	return worst(sigs)
}

func hasOutcome(ss []Signature, o Outcome) bool {
	for i := range ss {
		if ss[i].Outcome == o {
			return true
		}
	}
	return false
}

func worst(ss []Signature) Outcome {
	for _, o := range []Outcome{OtherDigest, Invalid, Untrusted, Trusted} {
		if hasOutcome(ss, o) {
			return o
		}
	}
	return ""
}

// Set maps the image references of a run, as the pod specs write them, to
// their facts. It is filled once, then only read.
type Set struct {
	byRef map[string]*Facts
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{byRef: map[string]*Facts{}} }

// Add records the facts of a reference as written in a pod spec.
func (s *Set) Add(ref string, f *Facts) { s.byRef[ref] = f }

// Lookup returns the facts of a reference as written in a pod spec.
func (s *Set) Lookup(ref string) (*Facts, bool) {
	if s == nil {
		return nil, false
	}
	f, ok := s.byRef[ref]
	return f, ok
}

// Refs returns the references of the set, sorted.
func (s *Set) Refs() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.byRef))
	for r := range s.byRef {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Images returns each distinct image once, sorted by reference.
func (s *Set) Images() []*Facts {
	if s == nil {
		return nil
	}
	seen := map[*Facts]bool{}
	var out []*Facts
	for _, f := range s.byRef {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	return out
}
