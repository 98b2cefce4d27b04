package exposure

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// fixture is one row of a table test: YAML, and the findings it must give
// as "Kind/name path" (none for a fixture that must pass).
type fixture struct {
	name string
	yaml string
	want []string
}

// runFixtures runs one check over each fixture with default options.
func runFixtures(t *testing.T, c *check.Check, fixtures []fixture) {
	t.Helper()
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tt.yaml, nil, c), tt.want...)
		})
	}
}
