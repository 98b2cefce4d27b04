package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
)

// Options tune the rules. The zero value is not useful: start from
// DefaultOptions. Allow-lists left empty switch off the rule that needs
// them (Meta.Needs), because without one every user, image or namespace
// would alert.
type Options struct {
	// AllowedUsers are the identities allowed to use the API at all
	// (disallowed-user); system identities are always allowed.
	AllowedUsers Patterns
	// AllowedImages are the images pods may run (disallowed-image).
	AllowedImages Patterns
	// AllowedNamespaces are the namespaces that may be created
	// (disallowed-namespace).
	AllowedNamespaces Patterns
	// TrustedNodes are the names of nodes that may join (untrusted-node).
	TrustedNodes Patterns
	// PrivilegedImages may run privileged, in host namespaces or with
	// sensitive host paths (CNI agents, node exporters).
	PrivilegedImages Patterns
	// KubeSystemImages may be started in kube-system and kube-public by
	// anyone.
	KubeSystemImages Patterns
	// KubeSystemServiceAccounts may be created in kube-system and
	// kube-public.
	KubeSystemServiceAccounts Patterns
	// SystemUsers are treated like the control plane: they are exempt
	// from the rules that exempt the cluster's own components.
	SystemUsers Patterns
	// Impersonators may impersonate without an alert (impersonation).
	Impersonators Patterns
	// SensitiveHostPaths are host paths whose mounting alerts
	// (sensitive-mount-pod), together with anything inside or above them.
	SensitiveHostPaths []string
	// Exceptions silence one rule for some users, namespaces or names.
	Exceptions []Exception
	// Disabled rules do not run.
	Disabled []string
	// Severity overrides rules' severities.
	Severity map[string]check.Severity

	Baseline         BaselineOptions
	ForbiddenBurst   BurstOptions
	AuthFailureBurst BurstOptions
	// MaxTracked bounds every per-key table of the stateful rules
	// (identities, source addresses, pods).
	MaxTracked int
}

// Exception silences a rule where every field that is set matches.
type Exception struct {
	Rule       string
	Users      Patterns // the authenticated user, or the impersonated one
	Namespaces Patterns
	Names      Patterns
	Reason     string
}

// BaselineOptions tune novel-action.
type BaselineOptions struct {
	// Learn is how long, from an identity's first event, its actions are
	// learned rather than judged.
	Learn time.Duration
	// MaxActions bounds what is remembered per identity; an identity
	// past it stops learning (and is judged on what it knows).
	MaxActions int
	// Ignore are identities with no baseline (for example CI robots that
	// do something new on every run).
	Ignore Patterns
}

// BurstOptions tune a burst rule: Threshold events within Window.
type BurstOptions struct {
	Threshold int
	Window    time.Duration
}

// DefaultSensitiveHostPaths is Falco's list plus the kubelet's and the
// container runtimes' state.
func DefaultSensitiveHostPaths() []string {
	return []string{"/proc", "/sys", "/dev", "/boot", "/root", "/home", "/etc", "/var/run/docker.sock", "/run/docker.sock",
		"/var/run/crio/crio.sock", "/run/containerd/containerd.sock", "/var/run/containerd", "/var/lib/kubelet",
		"/var/lib/etcd", "/etc/kubernetes", "/var/log", "/var/lib/docker", "/var/lib/containerd"}
}

// DefaultOptions returns the options kubeward runs with when a
// configuration file does not say otherwise.
func DefaultOptions() Options {
	return Options{
		SensitiveHostPaths: DefaultSensitiveHostPaths(),
		Baseline:           BaselineOptions{Learn: 24 * time.Hour, MaxActions: 512},
		ForbiddenBurst:     BurstOptions{Threshold: 10, Window: time.Minute},
		AuthFailureBurst:   BurstOptions{Threshold: 20, Window: time.Minute},
		MaxTracked:         100_000,
	}
}

// Validate checks the options against the rule catalogue.
func (o *Options) Validate() error {
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, id := range o.Disabled {
		if !known[id] {
			return fmt.Errorf("disabled rule %q does not exist", id)
		}
	}
	for id, s := range o.Severity {
		if !known[id] {
			return fmt.Errorf("severity for rule %q, which does not exist", id)
		}
		if s <= check.SeverityUnknown || s > check.Critical {
			return fmt.Errorf("rule %s: invalid severity", id)
		}
	}
	for i, e := range o.Exceptions {
		if !known[e.Rule] {
			return fmt.Errorf("exception %d: rule %q does not exist", i+1, e.Rule)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return fmt.Errorf("exception %d (rule %s): a reason is required", i+1, e.Rule)
		}
		if len(e.Users)+len(e.Namespaces)+len(e.Names) == 0 {
			return fmt.Errorf("exception %d (rule %s): name users, namespaces or names; an exception for everything is disabling the rule", i+1, e.Rule)
		}
	}
	for _, b := range []struct {
		name string
		o    BurstOptions
	}{{"forbidden burst", o.ForbiddenBurst}, {"authentication failure burst", o.AuthFailureBurst}} {
		if b.o.Threshold < 2 || b.o.Window <= 0 {
			return fmt.Errorf("%s: threshold must be at least 2 and window positive", b.name)
		}
	}
	if o.Baseline.Learn <= 0 || o.Baseline.MaxActions <= 0 {
		return fmt.Errorf("baseline: learning period and max actions must be positive")
	}
	if o.MaxTracked <= 0 {
		return fmt.Errorf("max tracked must be positive")
	}
	return nil
}

// needed returns the allow-list a rule's Meta.Needs names.
func (o *Options) needed(field string) Patterns {
	switch field {
	case "AllowedUsers":
		return o.AllowedUsers
	case "AllowedImages":
		return o.AllowedImages
	case "AllowedNamespaces":
		return o.AllowedNamespaces
	case "TrustedNodes":
		return o.TrustedNodes
	}
	return nil
}
