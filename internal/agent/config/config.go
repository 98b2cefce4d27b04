// Package config reads the node agent's configuration file (kind
// AgentConfig): rules, exceptions with a reason and an expiry, the
// processes allowed to read sensitive files, extra sensitive paths, alert
// rate limiting and response. Unknown fields are errors with their line.
package config

import (
	"fmt"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/agent/bpf"
	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/rules"
	auditconfig "github.com/kubeward/kubeward/internal/audit/config"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
)

// APIVersion and Kind of the file.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "AgentConfig"
)

// File is the configuration file.
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`

	Rules struct {
		Disabled []string                  `yaml:"disabled"`
		Severity map[string]check.Severity `yaml:"severity"`
	} `yaml:"rules"`
	Exceptions []Exception `yaml:"exceptions"`
	// SensitiveReaders may read sensitive files and tokens.
	SensitiveReaders []string `yaml:"sensitiveReaders"`
	// MetadataAddresses replace the default cloud metadata endpoints.
	MetadataAddresses []string `yaml:"metadataAddresses"`
	// SensitivePaths are added to the defaults.
	SensitivePaths []SensitivePath `yaml:"sensitivePaths"`

	// Alerts and Response are the audit commands' (AuditConfig).
	auditconfig.Alerting `yaml:",inline"`

	Path string `yaml:"-"`
}

// Exception silences a rule for some workloads until it expires.
type Exception struct {
	Rule        string    `yaml:"rule"`
	Namespaces  []string  `yaml:"namespaces"`
	Workloads   []string  `yaml:"workloads"`
	Images      []string  `yaml:"images"`
	Executables []string  `yaml:"executables"`
	Reason      string    `yaml:"reason"`
	Expires     time.Time `yaml:"expires"`
}

// SensitivePath is a path prefix whose opens are reported (a prefix
// ending in / is a directory).
type SensitivePath struct {
	Prefix string `yaml:"prefix"`
	// Class: service-account-token, shadow, kubelet-credentials,
	// proc-environ, binary-dir, ssh.
	Class string `yaml:"class"`
}

// Load reads a file; an empty path is the defaults.
func Load(path string) (*File, error) {
	if path == "" {
		return &File{APIVersion: APIVersion, Kind: Kind}, nil
	}
	f, err := config.ReadFile("agent config", path, Parse)
	if err != nil {
		return nil, err
	}
	f.Path = path
	return f, nil
}

// Parse reads a configuration and checks it against the rule catalogue.
func Parse(data []byte) (*File, error) {
	var f File
	if err := config.DecodeStrict(data, &f); err != nil {
		return nil, err
	}
	if err := config.CheckType(f.APIVersion, f.Kind, APIVersion, Kind); err != nil {
		return nil, err
	}
	o, err := f.RuleOptions()
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if _, err := f.Paths(); err != nil {
		return nil, err
	}
	if err := f.Alerting.Validate(func(id string) bool { _, ok := rules.Lookup(id); return ok }); err != nil {
		return nil, err
	}
	return &f, nil
}

// RuleOptions are the rules' options: the defaults with the file's
// settings over them.
func (f *File) RuleOptions() (rules.Options, error) {
	o := rules.DefaultOptions()
	o.Disabled = f.Rules.Disabled
	o.Severity = f.Rules.Severity
	o.SensitiveReaders = f.SensitiveReaders
	if f.MetadataAddresses != nil {
		o.MetadataAddresses = nil
		for _, s := range f.MetadataAddresses {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return o, fmt.Errorf("metadataAddresses: %q is neither an address nor a prefix", s)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			if p.Addr().Unmap().IsLoopback() {
				// The kernel programs report no loopback connection.
				return o, fmt.Errorf("metadataAddresses: %q is a loopback address: connections to loopback never leave the pod and raise no event", s)
			}
			o.MetadataAddresses = append(o.MetadataAddresses, p)
		}
	}
	for _, x := range f.Exceptions {
		o.Exceptions = append(o.Exceptions, rules.Exception{Rule: x.Rule, Namespaces: x.Namespaces, Workloads: x.Workloads,
			Images: x.Images, Executables: x.Executables, Reason: x.Reason, Expires: x.Expires})
	}
	return o, nil
}

// Expired lists the exceptions past their expiry at now, for a warning:
// they no longer silence anything.
func (f *File) Expired(now time.Time) []Exception {
	var out []Exception
	for _, x := range f.Exceptions {
		if !x.Expires.IsZero() && !now.Before(x.Expires) {
			out = append(out, x)
		}
	}
	return out
}

// Paths are the sensitive paths: the defaults and the file's.
func (f *File) Paths() ([]bpf.SensitivePath, error) {
	paths := bpf.DefaultSensitivePaths()
	for _, p := range f.SensitivePaths {
		c, ok := classOf(p.Class)
		if !ok {
			return nil, fmt.Errorf("sensitivePaths %q: unknown class %q", p.Prefix, p.Class)
		}
		// Its last component makes reads of it (or of the files in it)
		// worth resolving in the kernel.
		sp := bpf.SensitivePath{Prefix: p.Prefix, Class: c, Names: []string{path.Base(strings.TrimSuffix(p.Prefix, "/"))}}
		if err := sp.Validate(); err != nil {
			return nil, err
		}
		paths = append(paths, sp)
	}
	return paths, nil
}

func classOf(name string) (event.Class, bool) {
	for c := event.Class(1); c.String() != "class-"+fmt.Sprint(uint32(c)); c++ {
		if c.String() == name {
			return c, true
		}
	}
	return 0, false
}
