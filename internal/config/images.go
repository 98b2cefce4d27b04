package config

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ImagePolicy is one entry of images.policies (docs/images.md): the images
// it covers, the signers it trusts, the attestations it requires, and its
// exceptions. Every policy whose images match an image applies to it.
type ImagePolicy struct {
	// Name identifies the policy in findings (default policies[N]).
	Name string `yaml:"name"`
	// Images are globs over registry/repository: ghcr.io/acme/** covers
	// every repository under ghcr.io/acme; docker.io/library/nginx one.
	Images []string `yaml:"images"`
	// Signers: a signature by any one of them is required. Empty means the
	// policy requires no signature (attestations only).
	Signers []ImageSigner `yaml:"signers"`
	// Attestations required, each by its own signers or the policy's.
	Attestations []RequiredAttestation `yaml:"attestations"`
	// TransparencyLog requires each signature to be in the transparency
	// log, with an inclusion proof or promise the trusted root verifies
	// (default true). Without it, key signatures need nothing more and
	// keyless ones need an RFC 3161 timestamp from a trusted authority.
	TransparencyLog *bool `yaml:"transparencyLog"`
	// Exceptions exempt images from the policy's findings, with a reason
	// and an expiry, like suppressions.
	Exceptions []ImageException `yaml:"exceptions"`
}

// ImageSigner is a key or a keyless identity; exactly one is set.
type ImageSigner struct {
	// Key is a PEM public key file (cosign.pub), relative to the
	// configuration file.
	Key string `yaml:"key"`
	// Keyless is a Fulcio certificate identity.
	Keyless *KeylessIdentity `yaml:"keyless"`
	// Annotations must each be in the signed payload, with exactly this
	// value, for a signature by this signer to count: the annotations
	// `cosign sign -a key=value` signs (the simple-signing payload's
	// optional map; in a cosign 3 bundle, its statement's subject
	// annotations), as `cosign verify -a` and Kyverno's attestor
	// annotations require them. Image signatures only: an attestation
	// carries none.
	Annotations SignedAnnotations `yaml:"annotations"`
}

// SignedAnnotations are the annotations a signer's signatures must carry,
// compared as strings (`build: 42` requires the string "42", as
// `cosign verify -a build=42` does).
type SignedAnnotations map[string]string

// UnmarshalYAML refuses a key without a value: `env:` is a slip more often
// than a demand for an empty annotation, which is written `env: ""`.
func (a *SignedAnnotations) UnmarshalYAML(n *yaml.Node) error {
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return err
	}
	for i := 1; i < len(n.Content); i += 2 {
		if v := n.Content[i]; v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			return fmt.Errorf("line %d: annotations: %q has no value (write \"\" for an empty one)", v.Line, n.Content[i-1].Value)
		}
	}
	*a = m
	return nil
}

// KeylessIdentity is the subject and OIDC issuer of a signing certificate,
// each exact or a regular expression (matched whole).
type KeylessIdentity struct {
	Issuer        string `yaml:"issuer"`
	IssuerRegExp  string `yaml:"issuerRegExp"`
	Subject       string `yaml:"subject"`
	SubjectRegExp string `yaml:"subjectRegExp"`
}

// RequiredAttestation is an in-toto attestation an image must carry.
type RequiredAttestation struct {
	// Type is slsa-provenance, spdx, cyclonedx, vuln, or a predicate type URI.
	Type string `yaml:"type"`
	// Signers trusted for this attestation; default the policy's.
	Signers []ImageSigner `yaml:"signers"`
	// BuilderID and SourceRepository are conditions on SLSA provenance,
	// exact or regular expressions (matched whole).
	BuilderID              string `yaml:"builderID"`
	BuilderIDRegExp        string `yaml:"builderIDRegExp"`
	SourceRepository       string `yaml:"sourceRepository"`
	SourceRepositoryRegExp string `yaml:"sourceRepositoryRegExp"`
}

// ImageException exempts images from a policy's findings.
type ImageException struct {
	// Images are globs over the image reference (registry/repository, with
	// or without its tag or digest).
	Images []string `yaml:"images"`
	// Checks are the policy's checks the exception covers (default all).
	Checks  []string `yaml:"checks"`
	Reason  string   `yaml:"reason"`
	Expires string   `yaml:"expires"`
}

// RegistryAccess is images.registry: how registries are read.
type RegistryAccess struct {
	// Timeout bounds one registry request, retries included (default 30s).
	Timeout string `yaml:"timeout"`
	// Retries of a transient failure (default 2).
	Retries *int `yaml:"retries"`
	// Cache is the content-addressed cache directory (default the user
	// cache directory's kubeward/images).
	Cache string `yaml:"cache"`
	// CacheMaxSize bounds the cache's total size (a quantity, default
	// 10Gi); past it the entries used longest ago are removed.
	CacheMaxSize string `yaml:"cacheMaxSize"`
	// CAFile is a PEM bundle of certificate authorities trusted besides
	// the system's (a private registry's CA).
	CAFile string `yaml:"caFile"`
}

// TUFSettings locate the Sigstore trusted root online.
type TUFSettings struct {
	// Mirror is the TUF repository (default Sigstore's public instance).
	Mirror string `yaml:"mirror"`
	// Root is the initial TUF root.json of a private instance.
	Root string `yaml:"root"`
	// Cache is where TUF metadata is kept (default ~/.sigstore/root).
	Cache string `yaml:"cache"`
}

// PolicyChecks are the checks an image policy's findings come from; an
// exception covers them unless it names some.
var PolicyChecks = []string{
	"image-unsigned", "image-signature-untrusted", "image-signature-invalid", "image-digest-mismatch",
	"image-attestation-missing", "image-attestation-failed",
}

// AttestationTypes maps the short attestation names to predicate types.
var AttestationTypes = map[string][]string{
	"slsa-provenance": {"https://slsa.dev/provenance/v1", "https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v0.1"},
	"spdx":            {"https://spdx.dev/Document", "https://spdx.dev/Document/v2.3", "https://spdx.dev/Document/v2.2"},
	"cyclonedx": {"https://cyclonedx.org/bom", "https://cyclonedx.org/bom/v1.7", "https://cyclonedx.org/bom/v1.6", "https://cyclonedx.org/bom/v1.5",
		"https://cyclonedx.org/bom/v1.4", "https://cyclonedx.org/bom/v1.3", "https://cyclonedx.org/bom/v1.2"},
	"vuln": {"https://cosign.sigstore.dev/attestation/vuln/v1"},
}

// PolicyName is the policy's name or its position.
func (p *ImagePolicy) PolicyName(i int) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("policies[%d]", i)
}

// RequiresTransparencyLog is TransparencyLog with its default.
func (p *ImagePolicy) RequiresTransparencyLog() bool {
	return p.TransparencyLog == nil || *p.TransparencyLog
}

// ParseSize reads a size as Kubernetes writes quantities (10Gi, 512Mi,
// 8G, or bytes); "" is 0, the default.
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return 0, fmt.Errorf("%q is not a positive size like 10Gi or 512Mi", s)
	}
	return q.Value(), nil
}

func validateImages(f *File) error {
	im := &f.Images
	switch im.OnRegistryError {
	case "", "deny", "warn":
	default:
		return fmt.Errorf("images.onRegistryError: %q is not deny or warn", im.OnRegistryError)
	}
	if im.Registry.Timeout != "" {
		if d, err := time.ParseDuration(im.Registry.Timeout); err != nil || d <= 0 {
			return fmt.Errorf("images.registry.timeout: %q is not a duration like 30s", im.Registry.Timeout)
		}
	}
	if r := im.Registry.Retries; r != nil && (*r < 0 || *r > 10) {
		return fmt.Errorf("images.registry.retries: %d is not between 0 and 10", *r)
	}
	if _, err := ParseSize(im.Registry.CacheMaxSize); err != nil {
		return fmt.Errorf("images.registry.cacheMaxSize: %w", err)
	}
	if _, err := ParseSize(im.MaxImageSize); err != nil {
		return fmt.Errorf("images.maxImageSize: %w", err)
	}
	names := map[string]bool{}
	for i := range im.Policies {
		p := &im.Policies[i]
		where := fmt.Sprintf("images.policies[%d]", i)
		if names[p.PolicyName(i)] {
			return fmt.Errorf("%s: the name %q is used twice", where, p.Name)
		}
		names[p.PolicyName(i)] = true
		if err := p.validate(where); err != nil {
			return err
		}
	}
	return nil
}

func (p *ImagePolicy) validate(where string) error {
	if len(p.Images) == 0 {
		return fmt.Errorf("%s: images is required (globs such as ghcr.io/acme/**)", where)
	}
	for _, g := range p.Images {
		if err := validGlob(g); err != nil {
			return fmt.Errorf("%s.images: %w", where, err)
		}
	}
	if len(p.Signers) == 0 && len(p.Attestations) == 0 {
		return fmt.Errorf("%s: a policy needs signers, attestations or both", where)
	}
	for j := range p.Signers {
		if err := p.Signers[j].validate(); err != nil {
			return fmt.Errorf("%s.signers[%d]: %w", where, j, err)
		}
	}
	for j := range p.Attestations {
		a := &p.Attestations[j]
		aw := fmt.Sprintf("%s.attestations[%d]", where, j)
		if err := a.validate(); err != nil {
			return fmt.Errorf("%s: %w", aw, err)
		}
		if len(a.Signers) == 0 && len(p.Signers) == 0 {
			return fmt.Errorf("%s: no signers: list them here or in the policy", aw)
		}
		for k := range a.Signers {
			if err := a.Signers[k].validate(); err != nil {
				return fmt.Errorf("%s.signers[%d]: %w", aw, k, err)
			}
			if len(a.Signers[k].Annotations) > 0 {
				return fmt.Errorf("%s.signers[%d].annotations: annotations are checked on image signatures, not attestations "+
					"(cosign signs none into an in-toto statement, and cosign verify-attestation checks none)", aw, k)
			}
		}
	}
	for j := range p.Exceptions {
		e := &p.Exceptions[j]
		ew := fmt.Sprintf("%s.exceptions[%d]", where, j)
		if len(e.Images) == 0 {
			return fmt.Errorf("%s: images is required", ew)
		}
		for _, g := range e.Images {
			if err := validGlob(g); err != nil {
				return fmt.Errorf("%s.images: %w", ew, err)
			}
		}
		for _, c := range e.Checks {
			if !contains(PolicyChecks, c) {
				return fmt.Errorf("%s.checks: %q is not one of %s", ew, c, strings.Join(PolicyChecks, ", "))
			}
		}
		rule := check.SuppressionRule{Check: "image-unsigned", Reason: e.Reason, Expires: e.Expires}
		if err := rule.Validate(); err != nil {
			return fmt.Errorf("%s: %w", ew, err)
		}
	}
	return nil
}

func (s *ImageSigner) validate() error {
	for k := range s.Annotations {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("annotations: an empty key")
		}
	}
	switch {
	case s.Key != "" && s.Keyless != nil:
		return fmt.Errorf("a signer is a key or a keyless identity, not both")
	case s.Key == "" && s.Keyless == nil:
		return fmt.Errorf("a signer needs key or keyless")
	case s.Keyless != nil:
		k := s.Keyless
		if (k.Issuer == "") == (k.IssuerRegExp == "") {
			return fmt.Errorf("keyless: give issuer or issuerRegExp (one of them)")
		}
		if (k.Subject == "") == (k.SubjectRegExp == "") {
			return fmt.Errorf("keyless: give subject or subjectRegExp (one of them)")
		}
		for _, re := range []string{k.IssuerRegExp, k.SubjectRegExp} {
			if _, err := regexp.Compile(re); err != nil {
				return fmt.Errorf("keyless: %w", err)
			}
		}
	}
	return nil
}

func (a *RequiredAttestation) validate() error {
	if a.Type == "" {
		return fmt.Errorf("type is required: slsa-provenance, spdx, cyclonedx, vuln or a predicate type URI")
	}
	if _, ok := AttestationTypes[a.Type]; !ok && !strings.Contains(a.Type, "://") {
		return fmt.Errorf("type %q is not slsa-provenance, spdx, cyclonedx, vuln or a predicate type URI", a.Type)
	}
	if (a.BuilderID != "" && a.BuilderIDRegExp != "") || (a.SourceRepository != "" && a.SourceRepositoryRegExp != "") {
		return fmt.Errorf("give a condition exact or as a regular expression, not both")
	}
	for _, re := range []string{a.BuilderIDRegExp, a.SourceRepositoryRegExp} {
		if _, err := regexp.Compile(re); err != nil {
			return err
		}
	}
	provenance := a.Type == "slsa-provenance" || strings.HasPrefix(a.Type, "https://slsa.dev/provenance/")
	if !provenance && (a.BuilderID != "" || a.BuilderIDRegExp != "" || a.SourceRepository != "" || a.SourceRepositoryRegExp != "") {
		return fmt.Errorf("builderID and sourceRepository are conditions on SLSA provenance, not %s", a.Type)
	}
	return nil
}

func validGlob(g string) error {
	if strings.TrimSpace(g) == "" {
		return fmt.Errorf("empty pattern")
	}
	if _, err := path.Match(g, ""); err != nil {
		return fmt.Errorf("bad pattern %q", g)
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// ImageSuppressions turns the policies' exceptions into suppression rules
// (one per check an exception covers), so that an exempt image's findings
// are reported as suppressed, with the reason, and fire again once the
// exception expires, exactly like any other suppression.
func (f *File) ImageSuppressions() []check.SuppressionRule {
	var out []check.SuppressionRule
	for i := range f.Images.Policies {
		p := &f.Images.Policies[i]
		for j, e := range p.Exceptions {
			checks := e.Checks
			if len(checks) == 0 {
				checks = PolicyChecks
			}
			origin := fmt.Sprintf("images.policies[%d].exceptions[%d]", i, j)
			if f.Path != "" {
				origin = f.Path + " " + origin
			}
			for _, c := range checks {
				for _, g := range e.Images {
					out = append(out, check.SuppressionRule{Check: c, Image: g, Reason: e.Reason, Expires: e.Expires, Origin: origin})
				}
			}
		}
	}
	return out
}

// RelativePath resolves a path of the file relative to its directory.
func (f *File) RelativePath(p string) string {
	if p == "" || filepath.IsAbs(p) || f.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(f.Path), p)
}
