// Package config reads kubeward's configuration file: the gate, the check
// selection, the options checks read, and suppressions.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/source"
	yaml "go.yaml.in/yaml/v3"
)

// APIVersion and Kind identify the file, so a Kubernetes manifest passed by
// mistake is refused instead of read as an empty configuration.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "Config"
	// DefaultFile is read from the working directory when --config is not given.
	DefaultFile = ".kubeward.yaml"
	// maxFileBytes bounds what Load reads: --config may name a pipe or a
	// device, which would otherwise be read until memory runs out.
	maxFileBytes = 16 << 20
)

// File is the configuration file format (documented in docs/configuration.md).
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// FailOn is the lowest severity that fails the run, or "none".
	FailOn string `yaml:"failOn"`
	Checks struct {
		Include []string `yaml:"include"`
		Exclude []string `yaml:"exclude"`
	} `yaml:"checks"`
	PodSecurity struct {
		Level   string `yaml:"level"`
		Version string `yaml:"version"`
	} `yaml:"podSecurity"`
	Images struct {
		AllowedRegistries []string `yaml:"allowedRegistries"`
		PrivateRegistries []string `yaml:"privateRegistries"`
		// Vulnerabilities is the known-vulnerability policy and the OSV
		// database's location (docs/images.md).
		Vulnerabilities vuln.Config `yaml:"vulnerabilities"`
		// Policies are the signature and attestation policies (images.go).
		Policies []ImagePolicy `yaml:"policies"`
		// TrustedRoot is a Sigstore trusted_root.json (air-gapped sites);
		// without it the root comes from Sigstore's TUF repository.
		TrustedRoot string      `yaml:"trustedRoot"`
		TUF         TUFSettings `yaml:"tuf"`
		// Registry is how registries are read.
		Registry RegistryAccess `yaml:"registry"`
		// MaxImageSize bounds the bytes of one image's layers unpacked to
		// list its packages (a quantity, default 8Gi): past it the image's
		// vulnerabilities are not judged.
		MaxImageSize string `yaml:"maxImageSize"`
		// OnRegistryError is deny (default) or warn: what an image that
		// could not be read from its registry gives when a policy covers it.
		OnRegistryError string `yaml:"onRegistryError"`
	} `yaml:"images"`
	// SystemNamespaces replaces the default list (kube-system, kube-public, kube-node-lease).
	SystemNamespaces []string `yaml:"systemNamespaces"`
	// KubeVersion is the Kubernetes release to judge API versions for.
	KubeVersion  string                  `yaml:"kubeVersion"`
	Suppressions []check.SuppressionRule `yaml:"suppressions"`
	// Webhook configures `kubeward webhook serve` (see webhook.go).
	Webhook Webhook `yaml:"webhook"`
	// CustomChecks are files or directories of custom CEL checks (see
	// custom_checks.go).
	CustomChecks []string `yaml:"customChecks"`
	// Paths.Exclude are gitignore patterns, relative to the file's
	// directory, of paths no command reads (as a .kubewardignore file).
	// Paths.Vendored are gitignore patterns, relative to the file's
	// directory, of code the user does not own (upstream manifests, a
	// vendored chart): its findings are reported apart and do not fail
	// the gate unless --gate-vendored.
	Paths struct {
		Exclude  []string `yaml:"exclude"`
		Vendored []string `yaml:"vendored"`
	} `yaml:"paths"`
	// Coverage accepts known gaps of cluster and node scans.
	Coverage struct {
		IgnoreGaps []IgnoreGap `yaml:"ignoreGaps"`
	} `yaml:"coverage"`
	// Path is where the file was read from (not part of the format).
	Path string `yaml:"-"`
}

// Load reads and validates a configuration file.
func Load(path string) (*File, error) {
	f, err := ReadFile("config", path, Parse)
	if err != nil {
		return nil, err
	}
	f.Path = path
	return f, nil
}

// ReadFile reads the configuration file at path with parse; its errors
// name what and path once (a missing file is "<what> <path>: no such file
// or directory"). It reads at most maxFileBytes: path may name a pipe or
// a device. kubeward's configuration files all load this way.
func ReadFile[T any](what, path string, parse func([]byte) (*T, error)) (*T, error) {
	data, err := source.ReadFile(path, maxFileBytes)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return f, nil
}

// Parse reads a configuration from bytes; unknown fields are errors, with
// their line, so a misspelt setting is never silently ignored.
func Parse(data []byte) (*File, error) {
	var f File
	if err := DecodeStrict(data, &f); err != nil {
		return nil, err
	}
	if err := CheckType(f.APIVersion, f.Kind, APIVersion, Kind); err != nil {
		return nil, err
	}
	if f.FailOn != "" && f.FailOn != "none" {
		if _, err := check.ParseSeverity(f.FailOn); err != nil {
			return nil, fmt.Errorf("failOn: %w", err)
		}
	}
	if err := f.Webhook.validate(); err != nil {
		return nil, err
	}
	if err := f.validateCustomChecks(); err != nil {
		return nil, err
	}
	for i, p := range f.Paths.Exclude {
		if strings.TrimSpace(p) == "" || strings.HasPrefix(p, "#") {
			return nil, fmt.Errorf("paths.exclude[%d]: %q is not a pattern", i, p)
		}
	}
	for i, p := range f.Paths.Vendored {
		if strings.TrimSpace(p) == "" || strings.HasPrefix(p, "#") {
			return nil, fmt.Errorf("paths.vendored[%d]: %q is not a pattern", i, p)
		}
	}
	if err := f.Images.Vulnerabilities.Validate(); err != nil {
		return nil, err
	}
	if err := validateImages(&f); err != nil {
		return nil, err
	}
	for i := range f.Suppressions {
		if err := f.Suppressions[i].Validate(); err != nil {
			return nil, fmt.Errorf("suppressions[%d]: %w", i, err)
		}
	}
	for i, g := range f.Coverage.IgnoreGaps {
		if err := ValidateIgnoreGap(g.Gap, g.Reason); err != nil {
			return nil, fmt.Errorf("coverage.ignoreGaps[%d]: %w", i, err)
		}
	}
	return &f, nil
}

// IgnoreGap accepts a known coverage gap, such as PodTemplates an identity
// bound to the view ClusterRole cannot list: the gap is still reported, but
// does not fail --fail-on-incomplete.
type IgnoreGap struct {
	// Gap is a gap's id as the coverage report shows it (podtemplates,
	// secrets, control-plane, ...), or a kind's name (PodTemplate).
	Gap    string `yaml:"gap"`
	Reason string `yaml:"reason"`
}

// ValidateIgnoreGap checks an accepted gap: an id made of the characters
// resource names and gap ids use, and a reason.
func ValidateIgnoreGap(gap, reason string) error {
	if gap == "" {
		return errors.New("gap is required")
	}
	for _, r := range gap {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("gap %q: use a gap id such as podtemplates, clusterroles.rbac.authorization.k8s.io or control-plane", gap)
		}
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("gap %s: a reason is required (why the gap is acceptable)", gap)
	}
	return nil
}

// Apply copies the file's check options over opts.
func (f *File) Apply(opts *check.Options) {
	if f.PodSecurity.Level != "" {
		opts.PSSLevel = f.PodSecurity.Level
	}
	if f.PodSecurity.Version != "" {
		opts.PSSVersion = f.PodSecurity.Version
	}
	if len(f.Images.AllowedRegistries) > 0 {
		opts.AllowedRegistries = f.Images.AllowedRegistries
	}
	if len(f.Images.PrivateRegistries) > 0 {
		opts.PrivateRegistries = f.Images.PrivateRegistries
	}
	opts.ImagePolicies = len(f.Images.Policies) > 0
	opts.ImageOnRegistryError = f.Images.OnRegistryError
	if len(f.SystemNamespaces) > 0 {
		opts.SystemNamespaces = f.SystemNamespaces
	}
	if f.KubeVersion != "" {
		opts.KubeVersion = f.KubeVersion
	}
}

// VulnerabilityPolicy builds the images.vulnerabilities policy, reading
// its VEX documents (relative paths from the configuration file's
// directory).
func (f *File) VulnerabilityPolicy() (*vuln.Policy, error) {
	dir := ""
	if f.Path != "" {
		dir = filepath.Dir(f.Path)
	}
	p, err := f.Images.Vulnerabilities.Policy(dir)
	if err != nil && f.Path != "" {
		return nil, fmt.Errorf("config %s: %w", f.Path, err)
	}
	return p, err
}

// DecodeStrict reads one YAML document of at most 4 MiB into v. Unknown
// fields are errors, with their line, so a misspelt setting is never
// silently ignored. kubeward's configuration files all read this way.
func DecodeStrict(data []byte, v any) error {
	if len(data) > 4<<20 {
		return errors.New("larger than 4 MiB")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty file")
		}
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// CheckType refuses a file of another type (a Kubernetes manifest passed by
// mistake would otherwise read as an empty configuration).
func CheckType(gotAPIVersion, gotKind, apiVersion, kind string) error {
	if gotAPIVersion != apiVersion || gotKind != kind {
		return fmt.Errorf("want apiVersion %s and kind %s, got %q and %q", apiVersion, kind, gotAPIVersion, gotKind)
	}
	return nil
}
