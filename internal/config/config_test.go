package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/vuln"
)

func TestParse(t *testing.T) {
	f, err := Parse([]byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
failOn: medium
checks:
  exclude: [cpu-limit]
podSecurity: {level: restricted, version: v1.30}
images:
  allowedRegistries: [registry.example.com]
suppressions:
- check: pss-host-namespaces
  namespace: calico-system
  reason: the CNI agent routes pod traffic on the host network
  expires: "2027-06-30"
coverage:
  ignoreGaps:
  - {gap: podtemplates, reason: we create none}
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := check.DefaultOptions()
	f.Apply(opts)
	if opts.PSSLevel != "restricted" || opts.PSSVersion != "v1.30" || opts.AllowedRegistries[0] != "registry.example.com" {
		t.Errorf("options = %+v", opts)
	}
	if f.FailOn != "medium" || f.Checks.Exclude[0] != "cpu-limit" || f.Suppressions[0].Expires != "2027-06-30" ||
		len(f.Coverage.IgnoreGaps) != 1 || f.Coverage.IgnoreGaps[0].Reason != "we create none" {
		t.Errorf("file = %+v", f)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"unknown field with line", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nfailon: high\n", "line 3: field failon not found"},
		{"a manifest is not a config", "apiVersion: v1\nkind: ConfigMap\n", "want apiVersion kubeward.dev/v1alpha1"},
		{"suppression without reason", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nsuppressions:\n- check: x\n", "needs a reason"},
		{"bad expiry", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nsuppressions:\n- {check: x, reason: y, expires: soon}\n", "not a date"},
		{"bad gate", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nfailOn: severe\n", "unknown severity"},
		{"accepted gap without reason", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\ncoverage:\n  ignoreGaps:\n  - gap: podtemplates\n", "coverage.ignoreGaps[0]: gap podtemplates: a reason is required"},
		{"accepted gap not an id", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\ncoverage:\n  ignoreGaps:\n  - {gap: 'pod templates', reason: r}\n", "use a gap id"},
		{"empty", "", "empty file"},
		{"bad yaml", "apiVersion: [", "line 1"},
		{"bad vulnerability gate", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities: {failOn: severe}\n", "images.vulnerabilities.failOn"},
		{"exception without reason", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities:\n    exceptions: [{id: CVE-2024-1}]\n", "needs a reason"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestVulnerabilityPolicy(t *testing.T) {
	dir := t.TempDir()
	vexDoc := `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
"statements": [{"vulnerability": {"name": "CVE-2024-1"}, "products": [{"@id": "pkg:oci/app"}], "status": "fixed"}]}`
	if err := os.WriteFile(filepath.Join(dir, "app.vex.json"), []byte(vexDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, ".kubeward.yaml")
	if err := os.WriteFile(cfgPath, []byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
images:
  vulnerabilities:
    failOn: critical
    ignoreUnfixed: true
    vex: [app.vex.json]
    exceptions:
    - {id: CVE-2024-2, reason: not reachable, expires: "2027-01-31"}
    db: {dir: /var/cache/osv, remoteHost: "https://mirror.example.com/osv", ecosystems: [Debian, npm]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.VulnerabilityPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if p.FailOn != vuln.Critical || !p.IgnoreUnfixed || len(p.VEX) != 1 || len(p.Exceptions) != 1 || f.Images.Vulnerabilities.DB.Ecosystems[1] != "npm" {
		t.Errorf("policy = %+v", p)
	}
	// A VEX document that is not there is the configuration's error.
	f.Images.Vulnerabilities.VEX = []string{"missing.json"}
	if _, err := f.VulnerabilityPolicy(); err == nil || !strings.Contains(err.Error(), cfgPath) {
		t.Errorf("missing VEX document: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nfailOn: high\n"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(data) // must not panic or hang
	})
}

// TestLoadBounded: a configuration over the limit is refused by its size,
// not read whole (--config may name a pipe or a device that never ends).
func TestLoadBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	data := append([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\n# "), make([]byte, maxFileBytes)...)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Fatalf("Load(%d bytes) = %v, want the size limit", len(data), err)
	}
}
