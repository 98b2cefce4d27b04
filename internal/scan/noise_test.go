package scan

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// TestCorpusFalsePositives keeps the false positives read on the corpus
// (issue 18) at zero: rbac-csr-approval on argocd-server's delete, get and
// patch of every resource (it cannot approve: no approve on signers), the
// namespace default-deny checks on tigera-operator (only hostNetwork pods,
// which NetworkPolicy does not govern), and configmap-credential quoting a
// line of the value instead of the file's (istio's OpenTelemetry sample,
// file line 34). It also checks that each root cause is one finding: no
// fingerprint is reported twice at the top level.
func TestCorpusFalsePositives(t *testing.T) {
	dir := sharedtest.Dir(t, "corpus")
	var checks []*check.Check
	for _, id := range []string{"rbac-csr-approval", "netpol-namespace-default-deny-ingress", "netpol-namespace-default-deny-egress",
		"configmap-credential", "memory-limit", "cpu-limit", "resource-requests", "sensitive-host-path", "pss-host-path-volumes"} {
		c, ok := check.Get(id)
		if !ok {
			t.Fatalf("check %s is not registered", id)
		}
		checks = append(checks, c)
	}
	res, _, err := New(Options{Checks: checks}).Files(loader.Default(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	otel := false
	seen := map[string]bool{}
	for i := range res.Findings {
		f := &res.Findings[i]
		file := filepath.ToSlash(f.Source.File)
		switch {
		case f.CheckID == "rbac-csr-approval" && f.Object.Name == "argocd-server":
			t.Errorf("false positive: %s on %s: %s", f.CheckID, f.Object, f.Message)
		case strings.HasPrefix(f.CheckID, "netpol-namespace-default-deny") && f.Object.Namespace+f.Object.Name == "tigera-operator":
			t.Errorf("false positive: %s on %s: %s", f.CheckID, f.Object, f.Message)
		case f.CheckID == "configmap-credential" && strings.HasSuffix(file, "istio/samples/open-telemetry/otel.yaml"):
			otel = true
			if f.Position.Line != 34 || !strings.Contains(f.Message, "on line 34") {
				t.Errorf("otel.yaml credential at line %d: %q; want the file's line 34", f.Position.Line, f.Message)
			}
		}
		k := f.Fingerprint() + " " + f.Severity.String() + " " + f.Source.File
		if seen[k] && !f.Suppressed() {
			t.Errorf("%s on %s reported twice in %s", f.CheckID, f.Object, f.Source.File)
		}
		seen[k] = true
		if f.CheckID == "pss-host-path-volumes" && len(f.Folded) == 0 {
			for j := range res.Findings {
				if g := &res.Findings[j]; g.CheckID == "sensitive-host-path" && g.Object == f.Object && g.Source == f.Source {
					t.Errorf("%s on %s stands beside sensitive-host-path instead of folding into it", f.CheckID, f.Object)
					break
				}
			}
		}
	}
	if !otel {
		t.Error("no configmap-credential finding on istio's otel.yaml: the check or the corpus changed")
	}
}
