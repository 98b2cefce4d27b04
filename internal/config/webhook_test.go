package config

import (
	"strings"
	"testing"
)

func TestParseWebhook(t *testing.T) {
	f, err := Parse([]byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
webhook:
  labels: {enforce: example.com/enforce}
  defaults: {enforce: critical, warn: none, audit: low}
  exemptions:
    namespaces: [monitoring]
    users: [alice]
    groups: ["system:nodes"]
    serviceAccounts: [ci/deployer]
  controlledObjects: enforce
`))
	if err != nil {
		t.Fatal(err)
	}
	w := f.Webhook
	if w.Labels.Enforce != "example.com/enforce" || w.Defaults.Enforce != "critical" || w.Defaults.Warn != "none" ||
		w.Exemptions.ServiceAccounts[0] != "ci/deployer" || w.Exemptions.Groups[0] != "system:nodes" || w.ControlledObjects != "enforce" {
		t.Errorf("webhook = %+v", w)
	}
}

func TestParseWebhookErrors(t *testing.T) {
	const head = "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nwebhook:\n"
	for _, tt := range []struct{ name, in, want string }{
		{"unknown field", "  enforce: high\n", "line 4: field enforce not found"},
		{"bad severity", "  defaults: {warn: loud}\n", "webhook.defaults.warn: unknown severity"},
		{"bad label key", "  labels: {audit: \"a b\"}\n", "webhook.labels.audit: \"a b\" is not a label key"},
		{"same label twice", "  labels: {enforce: x/y, warn: x/y}\n", "also the enforce label"},
		{"service account without namespace", "  exemptions: {serviceAccounts: [deployer]}\n", "not namespace/name"},
		{"controlled objects", "  controlledObjects: skip\n", "not owner or enforce"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head + tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
