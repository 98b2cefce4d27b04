package pss

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestNamespaceEnforce(t *testing.T) {
	yaml := `apiVersion: v1
kind: Namespace
metadata: {name: labelled, labels: {pod-security.kubernetes.io/enforce: restricted}}
---
apiVersion: v1
kind: Namespace
metadata: {name: privileged-on-purpose, labels: {pod-security.kubernetes.io/enforce: privileged}}
---
apiVersion: v1
kind: Namespace
metadata: {name: bare}
---
apiVersion: v1
kind: Namespace
metadata:
  name: typo
  labels:
    pod-security.kubernetes.io/enforce: restriced
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
`
	fs := checktest.Run(t, yaml, nil, NamespaceEnforce)
	checktest.Expect(t, fs,
		"Namespace/bare metadata.labels[pod-security.kubernetes.io/enforce]",
		"Namespace/typo metadata.labels[pod-security.kubernetes.io/enforce]",
	)
	for _, f := range fs {
		if f.Object.Name == "typo" && (f.Severity != check.High || f.Position.Line != 18) {
			t.Errorf("typo finding: severity %s line %d, want high at line 18", f.Severity, f.Position.Line)
		}
		if f.Object.Name == "bare" && f.Position.Line != 11 {
			t.Errorf("bare finding at line %d, want the metadata line 11", f.Position.Line)
		}
	}
}
