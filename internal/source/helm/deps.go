package helm

import (
	"fmt"
	"path"
	"sort"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// missing is a dependency declared in a Chart.yaml with no chart of that
// name in the charts/ directory next to it.
type missing struct {
	chart string // path of the declaring chart, e.g. "app/charts/db"
	name  string
}

// findMissing records, before Helm rewrites the chart tree, the declared
// dependencies that are absent. It keys them by the declaration so that
// only those still enabled after conditions and tags are reported.
func findMissing(c *chart.Chart, out map[*chart.Dependency]missing) {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	for _, req := range c.Metadata.Dependencies {
		if req != nil && !have[req.Name] {
			out[req] = missing{chart: c.ChartFullPath(), name: req.Name}
		}
	}
	for _, d := range c.Dependencies() {
		findMissing(d, out)
	}
}

// processDependencies applies conditions, tags, aliases and import-values
// as `helm template` does, and fails for an enabled dependency that is not
// vendored: kubeward never downloads charts. Helm itself refuses a chart
// with any missing dependency; a disabled one renders nothing, so it is
// not needed here.
func processDependencies(c *chart.Chart, vals map[string]any, chartPath string) error {
	absent := map[*chart.Dependency]missing{}
	findMissing(c, absent)
	if err := chartutil.ProcessDependencies(c, vals); err != nil {
		return fmt.Errorf("chart dependencies: %w", err)
	}
	var enabled []missing
	var walk func(*chart.Chart)
	walk = func(c *chart.Chart) {
		have := map[string]bool{}
		for _, d := range c.Dependencies() {
			have[d.Name()] = true
		}
		for _, req := range c.Metadata.Dependencies {
			if m, ok := absent[req]; ok {
				enabled = append(enabled, m)
			} else if req.Alias == "" && !have[req.Name] {
				// A subchart copied for an alias has copies of its
				// declarations; their names are still the originals.
				enabled = append(enabled, missing{chart: c.ChartFullPath(), name: req.Name})
			}
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(c)
	if len(enabled) == 0 {
		return nil
	}
	sort.Slice(enabled, func(i, j int) bool {
		if enabled[i].chart != enabled[j].chart {
			return enabled[i].chart < enabled[j].chart
		}
		return enabled[i].name < enabled[j].name
	})
	var parts []string
	for _, m := range enabled {
		parts = append(parts, fmt.Sprintf("%q (declared in %s)", m.name, path.Join(m.chart, "Chart.yaml")))
	}
	return fmt.Errorf("missing chart dependencies %s: not found in charts/; run `helm dependency build %s` first (kubeward renders offline and never downloads charts)",
		strings.Join(parts, ", "), chartPath)
}
