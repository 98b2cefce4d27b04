package image

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

// runFixtures runs one check over each fixture with the options (nil means
// defaults).
func runFixtures(t *testing.T, c *check.Check, opts *check.Options, fixtures []fixture) {
	t.Helper()
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tt.yaml, opts, c), tt.want...)
		})
	}
}

// pod returns a Pod manifest whose containers use the images, in order.
func pod(name string, images ...string) string {
	s := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  containers:\n"
	for i, im := range images {
		s += "  - {name: c" + string(rune('0'+i)) + ", image: '" + im + "'}\n"
	}
	return s
}
