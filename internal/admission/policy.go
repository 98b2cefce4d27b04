package admission

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	authnv1 "k8s.io/api/authentication/v1"
)

// Default namespace label keys, in the shape of Pod Security Admission's
// pod-security.kubernetes.io/enforce. Values are a severity or "none".
const (
	LabelEnforce = "kubeward.dev/enforce"
	LabelWarn    = "kubeward.dev/warn"
	LabelAudit   = "kubeward.dev/audit"
)

// AlwaysExempt are namespaces the webhook never judges, whatever the
// configuration says, besides its own: the control plane and node
// heartbeats must stay writable when the webhook is down or wrong. The
// generated webhook configuration excludes them too, so the API server
// does not even call.
var AlwaysExempt = []string{"kube-system", "kube-node-lease"}

// Levels are the lowest severity each mode acts on; SeverityUnknown means
// the mode is off.
type Levels struct {
	Enforce, Warn, Audit check.Severity
}

// Policy is what the webhook does with findings: the label keys that set a
// namespace's levels, the levels of namespaces without labels, and the
// requests it admits without looking.
type Policy struct {
	LabelEnforce, LabelWarn, LabelAudit string
	Defaults                            Levels
	// OwnNamespace is where the webhook runs; always exempt.
	OwnNamespace string
	// EnforceControlled judges objects made by built-in controllers in
	// enforce mode too, instead of admitting them on their owner's
	// judgement.
	EnforceControlled bool

	namespaces, users, groups map[string]bool
}

// NewPolicy builds the policy from the configuration's webhook section.
// failOn is the file's CI gate: enforce defaults to it, so admission
// enforces what CI reports unless the section says otherwise.
func NewPolicy(w config.Webhook, failOn, ownNamespace string) (*Policy, error) {
	p := &Policy{
		LabelEnforce: or(w.Labels.Enforce, LabelEnforce),
		LabelWarn:    or(w.Labels.Warn, LabelWarn),
		LabelAudit:   or(w.Labels.Audit, LabelAudit),
		OwnNamespace: ownNamespace,

		EnforceControlled: w.ControlledObjects == "enforce",
		namespaces:        set(append(slices.Clone(AlwaysExempt), w.Exemptions.Namespaces...)),
		users:             set(w.Exemptions.Users),
		groups:            set(w.Exemptions.Groups),
	}
	if ownNamespace != "" {
		p.namespaces[ownNamespace] = true
	}
	for _, sa := range w.Exemptions.ServiceAccounts {
		ns, name, _ := strings.Cut(sa, "/")
		p.users["system:serviceaccount:"+ns+":"+name] = true
	}
	var err error
	for _, m := range []struct {
		to       *check.Severity
		val, def string
		name     string
	}{
		{&p.Defaults.Enforce, w.Defaults.Enforce, or(failOn, "high"), "enforce"},
		{&p.Defaults.Warn, w.Defaults.Warn, "medium", "warn"},
		{&p.Defaults.Audit, w.Defaults.Audit, "low", "audit"},
	} {
		if *m.to, err = parseLevel(or(m.val, m.def)); err != nil {
			return nil, fmt.Errorf("webhook.defaults.%s: %w", m.name, err)
		}
	}
	return p, nil
}

// DefaultPolicy is the policy without a configuration file.
func DefaultPolicy(ownNamespace string) *Policy {
	p, err := NewPolicy(config.Webhook{}, "", ownNamespace)
	if err != nil {
		panic(err) // the built-in defaults parse
	}
	return p
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// parseLevel reads a label or config value: a severity, or "none".
func parseLevel(v string) (check.Severity, error) {
	if strings.EqualFold(v, "none") {
		return check.SeverityUnknown, nil
	}
	return check.ParseSeverity(v)
}

// Exempt tells why a request is admitted without evaluation, or "".
func (p *Policy) Exempt(namespace string, user authnv1.UserInfo) string {
	switch {
	case namespace != "" && p.namespaces[namespace]:
		return "namespace " + namespace
	case p.users[user.Username]:
		if strings.HasPrefix(user.Username, "system:serviceaccount:") {
			return "service account " + user.Username
		}
		return "user " + user.Username
	}
	for _, g := range user.Groups {
		if p.groups[g] {
			return "group " + g
		}
	}
	return ""
}

// Levels reads a namespace's levels from its labels; missing labels take
// the defaults. An invalid value also takes the default, and is returned as
// a note for the response's warnings: the namespace owner sees the typo.
func (p *Policy) Levels(labels map[string]string) (Levels, []string) {
	lv := p.Defaults
	var notes []string
	for _, m := range []struct {
		key string
		to  *check.Severity
	}{{p.LabelEnforce, &lv.Enforce}, {p.LabelWarn, &lv.Warn}, {p.LabelAudit, &lv.Audit}} {
		v, ok := labels[m.key]
		if !ok {
			continue
		}
		sev, err := parseLevel(v)
		if err != nil {
			notes = append(notes, fmt.Sprintf("namespace label %s=%q is not a severity or none; using %s", m.key, shorten(v, 63), LevelName(*m.to)))
			continue
		}
		*m.to = sev
	}
	return lv, notes
}

// LevelName names a mode's level as labels and the configuration write it.
func LevelName(s check.Severity) string {
	if s == check.SeverityUnknown {
		return "none"
	}
	return s.String()
}
