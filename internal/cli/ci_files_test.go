package cli

import (
	"os"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestCIIntegrations keeps action.yml and .pre-commit-hooks.yaml true to the
// CLI: they parse, and every flag they give kubeward scan is one of its.
func TestCIIntegrations(t *testing.T) {
	scan, _, err := NewRoot(Streams{}).Find([]string{"scan"})
	if err != nil {
		t.Fatal(err)
	}
	flag := regexp.MustCompile(`(?:^|\s)--([a-z][a-z-]+)`)
	for _, file := range []string{"action.yml", ".pre-commit-hooks.yaml"} {
		raw, err := os.ReadFile(repoRoot(t) + "/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		n := 0
		for _, m := range flag.FindAllStringSubmatch(string(raw), -1) {
			if m[1] == "rm" { // docker run --rm
				continue
			}
			n++
			if scan.Flags().Lookup(m[1]) == nil {
				t.Errorf("%s gives kubeward scan --%s, which it does not have", file, m[1])
			}
		}
		if n == 0 {
			t.Errorf("%s: no flag found; the pattern is broken", file)
		}
	}
}
