package config

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: AgentConfig\n"
	for _, tc := range []struct{ name, yaml, err string }{
		{"empty", "", ""},
		{"full", `rules:
  disabled: [compiler-in-container]
  severity: {reverse-shell: high}
exceptions:
- rule: sensitive-file-read
  executables: [/usr/sbin/sshd]
  reason: the image runs sshd
  expires: 2030-01-01T00:00:00Z
sensitiveReaders: [vault-agent]
metadataAddresses: [169.254.169.254, "fd00:ec2::/64"]
sensitivePaths:
- {prefix: /etc/app/secrets/, class: shadow}
alerts: {dedupWindow: 5m}
response:
  quarantine: {enabled: true, rules: [reverse-shell]}
`, ""},
		{"negative window", "alerts: {dedupWindow: -1s}\n", "negative"},
		{"unknown alerts field", "alerts: {dedup: 1m}\n", "dedup"},
		{"unknown field", "rulez: {}\n", "rulez"},
		{"unknown rule", "rules: {disabled: [no-such-rule]}\n", "no-such-rule"},
		{"no reason", "exceptions: [{rule: reverse-shell, namespaces: [a]}]\n", "reason"},
		{"everything", "exceptions: [{rule: reverse-shell, reason: x}]\n", "an exception for everything"},
		{"bad class", "sensitivePaths: [{prefix: /x/, class: secrets}]\n", "unknown class"},
		{"relative path", "sensitivePaths: [{prefix: x/, class: shadow}]\n", "absolute"},
		{"bad address", "metadataAddresses: [metadata.google.internal]\n", "neither"},
		{"loopback address", "metadataAddresses: [\"127.0.0.53\"]\n", "loopback"},
		{"loopback prefix", "metadataAddresses: [\"::ffff:127.0.0.0/104\"]\n", "loopback"},
		{"quarantine without rules", "response: {quarantine: {enabled: true}}\n", "without rules"},
	} {
		_, err := Parse([]byte(head + tc.yaml))
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestAlerting: the alerts and response sections read as the audit
// commands' do.
func TestAlerting(t *testing.T) {
	f, err := Parse([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: AgentConfig\nalerts: {dedupWindow: 5m}\nresponse: {quarantine: {enabled: true, dryRun: false, rules: [reverse-shell]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.DedupWindow() != 5*time.Minute {
		t.Errorf("dedup window %v", f.DedupWindow())
	}
	if q, on := f.Quarantine(); !on || q.DryRun || len(q.Rules) != 1 {
		t.Errorf("quarantine %+v %v", q, on)
	}
	if _, err := Load("/nonexistent/agent.yaml"); err == nil || err.Error() != "agent config /nonexistent/agent.yaml: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

func TestExpired(t *testing.T) {
	f, err := Parse([]byte(`apiVersion: kubeward.dev/v1alpha1
kind: AgentConfig
exceptions:
- {rule: reverse-shell, namespaces: [a], reason: old, expires: 2020-01-01T00:00:00Z}
- {rule: reverse-shell, namespaces: [b], reason: open-ended}
`))
	if err != nil {
		t.Fatal(err)
	}
	if x := f.Expired(time.Now()); len(x) != 1 || x[0].Reason != "old" {
		t.Errorf("expired: %+v", x)
	}
	o, _ := f.RuleOptions()
	if len(o.Exceptions) != 2 || o.Exceptions[0].Expires.IsZero() {
		t.Errorf("exceptions: %+v", o.Exceptions)
	}
}
