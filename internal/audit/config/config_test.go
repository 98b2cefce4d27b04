package config

import (
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
)

const full = `apiVersion: kubeward.dev/v1alpha1
kind: AuditConfig
allowedUsers: ["alice", "*@example.com"]
allowedImages: ["registry.example.com/*"]
privilegedImages: ["docker.io/calico/node"]
rules:
  disabled: [role-write-verbs]
  severity:
    secret-read: high
exceptions:
- rule: secret-read
  users: ["system:serviceaccount:cert-manager:*"]
  namespaces: [cert-manager]
  reason: cert-manager stores issued certificates
baseline:
  learn: 12h
  ignore: ["system:serviceaccount:ci:*"]
forbiddenBurst: {threshold: 5, window: 30s}
alerts:
  dedupWindow: 5m
response:
  quarantine:
    enabled: true
    rules: [privileged-pod, pod-exec]
`

func TestParseFull(t *testing.T) {
	f, err := Parse([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	o := f.DetectOptions()
	if !o.AllowedUsers.Match("bob@example.com") || o.Severity["secret-read"] != check.High || o.Baseline.Learn != 12*time.Hour ||
		o.ForbiddenBurst.Threshold != 5 || o.ForbiddenBurst.Window != 30*time.Second || o.AuthFailureBurst.Threshold != 20 ||
		len(o.Exceptions) != 1 || len(o.SensitiveHostPaths) == 0 {
		t.Errorf("options %+v", o)
	}
	if f.DedupWindow() != 5*time.Minute {
		t.Errorf("dedup window %v", f.DedupWindow())
	}
	q, on := f.Quarantine()
	if !on || !q.DryRun || len(q.Rules) != 2 {
		t.Errorf("quarantine %+v %v: must default to dry-run", q, on)
	}
}

func TestParseErrors(t *testing.T) {
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: AuditConfig\n"
	for name, c := range map[string]struct{ doc, want string }{
		"unknown field":           {head + "allowedUser: [x]\n", "line 3"},
		"wrong kind":              {"apiVersion: kubeward.dev/v1alpha1\nkind: Config\n", "kind"},
		"unknown rule":            {head + "rules: {disabled: [nope]}\n", "nope"},
		"exception no reason":     {head + "exceptions: [{rule: secret-read, users: [x]}]\n", "reason"},
		"bad severity":            {head + "rules: {severity: {secret-read: urgent}}\n", "urgent"},
		"bad duration":            {head + "forbiddenBurst: {window: soon}\n", "soon"},
		"quarantine unknown":      {head + "response: {quarantine: {enabled: true, rules: [nope]}}\n", "nope"},
		"quarantine no rules":     {head + "response: {quarantine: {enabled: true}}\n", "without rules"},
		"empty":                   {"", "empty"},
		"burst threshold too low": {head + "authFailureBurst: {threshold: 1}\n", "threshold"},
	} {
		_, err := Parse([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	f, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if f.DedupWindow() != DefaultDedupWindow {
		t.Error("dedup default")
	}
	if _, on := f.Quarantine(); on {
		t.Error("quarantine on by default")
	}
	zero := "apiVersion: kubeward.dev/v1alpha1\nkind: AuditConfig\nalerts: {dedupWindow: 0s}\n"
	f, err = Parse([]byte(zero))
	if err != nil || f.DedupWindow() != 0 {
		t.Errorf("dedupWindow 0s: %v %v", f.DedupWindow(), err)
	}
}
