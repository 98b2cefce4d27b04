package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Vendored tells which findings lie in code the user does not own: they
// are reported apart and left out of the gate unless asked
// (check.Finding.Vendored). A chart's dependencies (charts/NAME/ below a
// chart, whether rendered with it or read as files) always are; the
// configuration's paths.vendored names more. The zero value applies the
// default alone.
type Vendored struct {
	match gitignore.Matcher // nil: the default alone
}

// NewVendored reads gitignore patterns relative to base (the
// configuration file's directory), as paths.exclude.
func NewVendored(patterns []string, base string) (*Vendored, error) {
	abs, err := filepath.Abs(base)
	if err != nil {
		return nil, fmt.Errorf("paths.vendored: %w", err)
	}
	if len(patterns) == 0 {
		return &Vendored{}, nil
	}
	var ps []gitignore.Pattern
	for _, p := range patterns {
		ps = append(ps, gitignore.ParsePattern(p, segments(abs)))
	}
	return &Vendored{match: gitignore.NewMatcher(ps)}, nil
}

func segments(abs string) []string {
	return strings.Split(strings.TrimPrefix(filepath.ToSlash(abs), "/"), "/")
}

// Is reports whether an object read from src is vendored.
func (v *Vendored) Is(src inventory.Source) bool {
	if src.File == "" || src.File == "-" {
		return false // a cluster's objects, standard input
	}
	if dependency(filepath.ToSlash(src.Template), nil) || dependency(filepath.ToSlash(src.File), isChart) {
		return true
	}
	if v == nil || v.match == nil {
		return false
	}
	abs, err := filepath.Abs(src.File)
	if err != nil {
		return false
	}
	parts := segments(abs)
	// A pattern naming a directory covers the files below it, as in git.
	for n := len(parts); n > 0; n-- {
		if v.match.Match(parts[:n], n < len(parts)) {
			return true
		}
	}
	return false
}

// dependency reports a path inside a chart's dependency: PARENT/charts/NAME/
// with the dependency's templates/ or crds/ below it. A Helm "# Source:"
// path always starts with the chart's name; a file's PARENT must be a chart
// (chart, when set, says), so that a repository's own charts/ directory is
// not taken for dependencies.
func dependency(p string, chart func(dir string) bool) bool {
	segs := strings.Split(p, "/")
	for i := 1; i+3 < len(segs); i++ {
		if segs[i] == "charts" && segs[i+1] != "" && (segs[i+2] == "templates" || segs[i+2] == "crds") &&
			(chart == nil || chart(strings.Join(segs[:i], "/"))) {
			return true
		}
	}
	return false
}

func isChart(dir string) bool {
	_, err := os.Stat(filepath.Join(filepath.FromSlash(dir), "Chart.yaml"))
	return err == nil
}
