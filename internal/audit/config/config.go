// Package config reads kubeward's audit configuration file (kind
// AuditConfig): the allow-lists and exceptions of the detection rules,
// alert rate limiting, and response. Unknown fields are errors with their
// line, so a misspelt setting is never silently ignored.
package config

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/respond"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
)

// APIVersion and Kind of the file.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "AuditConfig"
)

// File is the configuration file.
type File struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`

	AllowedUsers              []string `yaml:"allowedUsers"`
	AllowedImages             []string `yaml:"allowedImages"`
	AllowedNamespaces         []string `yaml:"allowedNamespaces"`
	TrustedNodes              []string `yaml:"trustedNodes"`
	PrivilegedImages          []string `yaml:"privilegedImages"`
	KubeSystemImages          []string `yaml:"kubeSystemImages"`
	KubeSystemServiceAccounts []string `yaml:"kubeSystemServiceAccounts"`
	SystemUsers               []string `yaml:"systemUsers"`
	Impersonators             []string `yaml:"impersonators"`
	SensitiveHostPaths        []string `yaml:"sensitiveHostPaths"`

	Rules struct {
		Disabled []string                  `yaml:"disabled"`
		Severity map[string]check.Severity `yaml:"severity"`
	} `yaml:"rules"`
	Exceptions []Exception `yaml:"exceptions"`

	Baseline struct {
		Learn      time.Duration `yaml:"learn"`
		MaxActions int           `yaml:"maxActions"`
		Ignore     []string      `yaml:"ignore"`
	} `yaml:"baseline"`
	ForbiddenBurst   Burst `yaml:"forbiddenBurst"`
	AuthFailureBurst Burst `yaml:"authFailureBurst"`
	MaxTracked       int   `yaml:"maxTracked"`

	Alerts struct {
		// DedupWindow folds alerts of the same rule and identity
		// (default 1m; 0s turns folding off).
		DedupWindow *time.Duration `yaml:"dedupWindow"`
	} `yaml:"alerts"`

	Response struct {
		Quarantine struct {
			Enabled           bool     `yaml:"enabled"`
			DryRun            *bool    `yaml:"dryRun"`
			Rules             []string `yaml:"rules"`
			ExcludeNamespaces []string `yaml:"excludeNamespaces"`
			Label             string   `yaml:"label"`
		} `yaml:"quarantine"`
	} `yaml:"response"`

	Path string `yaml:"-"`
}

// Exception silences a rule for some users, namespaces or names.
type Exception struct {
	Rule       string   `yaml:"rule"`
	Users      []string `yaml:"users"`
	Namespaces []string `yaml:"namespaces"`
	Names      []string `yaml:"names"`
	Reason     string   `yaml:"reason"`
}

// Burst tunes a burst rule.
type Burst struct {
	Threshold int           `yaml:"threshold"`
	Window    time.Duration `yaml:"window"`
}

// DefaultDedupWindow is the alert folding window without configuration.
const DefaultDedupWindow = time.Minute

// Load reads a file; an empty path is the defaults.
func Load(path string) (*File, error) {
	if path == "" {
		return &File{APIVersion: APIVersion, Kind: Kind}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit config: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("audit config %s: %w", path, err)
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
	o := f.DetectOptions()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	for _, id := range f.Response.Quarantine.Rules {
		if _, ok := detect.Lookup(id); !ok {
			return nil, fmt.Errorf("response.quarantine.rules: rule %q does not exist", id)
		}
	}
	if f.Response.Quarantine.Enabled && len(f.Response.Quarantine.Rules) == 0 {
		return nil, errors.New("response.quarantine: enabled without rules")
	}
	if f.Alerts.DedupWindow != nil && *f.Alerts.DedupWindow < 0 {
		return nil, errors.New("alerts.dedupWindow: negative")
	}
	return &f, nil
}

// DetectOptions are the engine's options: the defaults with the file's
// settings over them.
func (f *File) DetectOptions() detect.Options {
	o := detect.DefaultOptions()
	o.AllowedUsers = f.AllowedUsers
	o.AllowedImages = f.AllowedImages
	o.AllowedNamespaces = f.AllowedNamespaces
	o.TrustedNodes = f.TrustedNodes
	o.PrivilegedImages = f.PrivilegedImages
	o.KubeSystemImages = f.KubeSystemImages
	o.KubeSystemServiceAccounts = f.KubeSystemServiceAccounts
	o.SystemUsers = f.SystemUsers
	o.Impersonators = f.Impersonators
	if f.SensitiveHostPaths != nil {
		o.SensitiveHostPaths = f.SensitiveHostPaths
	}
	o.Disabled = f.Rules.Disabled
	o.Severity = f.Rules.Severity
	for _, x := range f.Exceptions {
		o.Exceptions = append(o.Exceptions, detect.Exception{Rule: x.Rule, Users: x.Users, Namespaces: x.Namespaces, Names: x.Names, Reason: x.Reason})
	}
	if f.Baseline.Learn != 0 {
		o.Baseline.Learn = f.Baseline.Learn
	}
	if f.Baseline.MaxActions != 0 {
		o.Baseline.MaxActions = f.Baseline.MaxActions
	}
	o.Baseline.Ignore = f.Baseline.Ignore
	for _, b := range []struct {
		from Burst
		to   *detect.BurstOptions
	}{{f.ForbiddenBurst, &o.ForbiddenBurst}, {f.AuthFailureBurst, &o.AuthFailureBurst}} {
		if b.from.Threshold != 0 {
			b.to.Threshold = b.from.Threshold
		}
		if b.from.Window != 0 {
			b.to.Window = b.from.Window
		}
	}
	if f.MaxTracked != 0 {
		o.MaxTracked = f.MaxTracked
	}
	return o
}

// DedupWindow is the alert folding window.
func (f *File) DedupWindow() time.Duration {
	if f.Alerts.DedupWindow == nil {
		return DefaultDedupWindow
	}
	return *f.Alerts.DedupWindow
}

// Quarantine returns the response options and whether quarantine is on.
// It is dry-run unless the file says dryRun: false.
func (f *File) Quarantine() (respond.Options, bool) {
	q := f.Response.Quarantine
	o := respond.Options{Rules: q.Rules, DryRun: q.DryRun == nil || *q.DryRun, Label: q.Label, ExcludeNamespaces: q.ExcludeNamespaces}
	return o, q.Enabled
}
