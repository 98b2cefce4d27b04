package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Webhook is the webhook: section, read by `kubeward webhook serve`
// (documented in docs/webhook.md). Empty fields take the defaults of
// internal/admission.
type Webhook struct {
	// Labels are the namespace label keys that set each mode's threshold.
	Labels WebhookModes `yaml:"labels"`
	// Defaults are the thresholds of namespaces without the label: a
	// severity, or "none" to switch the mode off.
	Defaults WebhookModes `yaml:"defaults"`
	// Exemptions are requests admitted without evaluation.
	Exemptions WebhookExemptions `yaml:"exemptions"`
	// ControlledObjects is "owner" (objects a built-in controller makes from
	// a judged template are admitted on their owner's judgement) or
	// "enforce" (they are judged again in enforce mode, as Pod Security
	// Admission judges every Pod).
	ControlledObjects string `yaml:"controlledObjects"`
	// ImageBudget bounds the registry work of one review (verifying the
	// images of images.policies), a Go duration; default 2s, at most 20s,
	// and well under the webhook configuration's timeoutSeconds (5).
	ImageBudget string `yaml:"imageBudget"`
}

// WebhookModes holds one value per admission mode.
type WebhookModes struct {
	Enforce string `yaml:"enforce"`
	Warn    string `yaml:"warn"`
	Audit   string `yaml:"audit"`
}

// WebhookExemptions name requests the webhook admits without evaluation.
type WebhookExemptions struct {
	Namespaces []string `yaml:"namespaces"`
	Users      []string `yaml:"users"`
	Groups     []string `yaml:"groups"`
	// ServiceAccounts are "namespace/name".
	ServiceAccounts []string `yaml:"serviceAccounts"`
}

func (w *Webhook) validate() error {
	seen := map[string]string{}
	for _, m := range []struct{ name, key, def string }{
		{"enforce", w.Labels.Enforce, w.Defaults.Enforce},
		{"warn", w.Labels.Warn, w.Defaults.Warn},
		{"audit", w.Labels.Audit, w.Defaults.Audit},
	} {
		if m.key != "" {
			if errs := validation.IsQualifiedName(m.key); len(errs) > 0 {
				return fmt.Errorf("webhook.labels.%s: %q is not a label key: %s", m.name, m.key, strings.Join(errs, "; "))
			}
			if other, dup := seen[m.key]; dup {
				return fmt.Errorf("webhook.labels.%s: %q is also the %s label", m.name, m.key, other)
			}
			seen[m.key] = m.name
		}
		if m.def != "" && m.def != "none" {
			if _, err := check.ParseSeverity(m.def); err != nil {
				return fmt.Errorf("webhook.defaults.%s: %w (or none)", m.name, err)
			}
		}
	}
	for i, sa := range w.Exemptions.ServiceAccounts {
		ns, name, ok := strings.Cut(sa, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("webhook.exemptions.serviceAccounts[%d]: %q is not namespace/name", i, sa)
		}
	}
	if w.ImageBudget != "" {
		d, err := time.ParseDuration(w.ImageBudget)
		if err != nil || d <= 0 || d > 20*time.Second {
			return fmt.Errorf("webhook.imageBudget: %q is not a duration between 0 and 20s", w.ImageBudget)
		}
	}
	switch w.ControlledObjects {
	case "", "owner", "enforce":
	default:
		return fmt.Errorf("webhook.controlledObjects: %q is not owner or enforce", w.ControlledObjects)
	}
	return nil
}
