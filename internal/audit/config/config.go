// Package config reads kubeward's audit configuration file (kind
// AuditConfig): the allow-lists and exceptions of the detection rules,
// alert rate limiting, and response. Unknown fields are errors with their
// line, so a misspelt setting is never silently ignored.
package config

import (
	"errors"
	"fmt"
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

	Alerting `yaml:",inline"`

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

// Load reads a file; an empty path is the defaults.
func Load(path string) (*File, error) {
	if path == "" {
		return &File{APIVersion: APIVersion, Kind: Kind}, nil
	}
	f, err := config.ReadFile("audit config", path, Parse)
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
	o := f.DetectOptions()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := f.Alerting.Validate(func(id string) bool { _, ok := detect.Lookup(id); return ok }); err != nil {
		return nil, err
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

// Alerting is what AuditConfig and AgentConfig say about their alerts:
// folding, and the response to them.
type Alerting struct {
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
}

// DefaultDedupWindow is the alert folding window without configuration.
const DefaultDedupWindow = time.Minute

// Validate checks the settings; exists says whether a rule id is in the
// catalogue the file configures.
func (a *Alerting) Validate(exists func(id string) bool) error {
	for _, id := range a.Response.Quarantine.Rules {
		if !exists(id) {
			return fmt.Errorf("response.quarantine.rules: rule %q does not exist", id)
		}
	}
	if a.Response.Quarantine.Enabled && len(a.Response.Quarantine.Rules) == 0 {
		return errors.New("response.quarantine: enabled without rules")
	}
	if a.Alerts.DedupWindow != nil && *a.Alerts.DedupWindow < 0 {
		return errors.New("alerts.dedupWindow: negative")
	}
	return nil
}

// DedupWindow is the alert folding window.
func (a *Alerting) DedupWindow() time.Duration {
	if a.Alerts.DedupWindow == nil {
		return DefaultDedupWindow
	}
	return *a.Alerts.DedupWindow
}

// Quarantine returns the response options and whether quarantine is on.
// It is dry-run unless the file says dryRun: false.
func (a *Alerting) Quarantine() (respond.Options, bool) {
	q := a.Response.Quarantine
	return respond.Options{Rules: q.Rules, DryRun: q.DryRun == nil || *q.DryRun, Label: q.Label, ExcludeNamespaces: q.ExcludeNamespaces}, q.Enabled
}
