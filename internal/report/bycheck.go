package report

import (
	"sort"

	"github.com/kubeward/kubeward/internal/check"
)

// longOutput is the number of listed findings from which the table and the
// compact view print each check's fix once, in the summary by check,
// instead of under every finding: at 5,000 findings the same sentence
// 5,000 times buries what differs.
const longOutput = 20

// checkGroup is one check's findings, for the summaries by check of the
// table, Markdown and HTML reports.
type checkGroup struct {
	ID       string
	Title    string
	Severity check.Severity // the highest of its open findings
	Open     int            // unsuppressed findings
	Hidden   int            // open findings below Options.Severity, not listed
	Objects  int            // distinct objects with an open finding
	// Fix is the check's fix as most of its findings state it; findings
	// whose fix differs (a result's own) still show theirs.
	Fix string
}

// listed reports whether a finding is shown by the human formats (table,
// compact, Markdown, HTML) under the options: suppressed ones only with
// ShowSuppressed, and only at or above Severity. Hidden findings still
// count in the summary and the gate.
func listed(f *check.Finding, o Options) bool {
	if f.Suppressed() && !o.ShowSuppressed {
		return false
	}
	return f.Severity >= o.Severity
}

// belowSeverity counts the open findings Options.Severity hides.
func belowSeverity(fs []check.Finding, o Options) int {
	n := 0
	for i := range fs {
		if !fs[i].Suppressed() && fs[i].Severity < o.Severity {
			n++
		}
	}
	return n
}

// groupByCheck summarises open findings by check, the most severe check
// first, then the one with most findings.
func groupByCheck(fs []check.Finding, o Options) []*checkGroup {
	byID := map[string]*checkGroup{}
	objects := map[string]map[string]bool{}
	fixes := map[string]map[string]int{}
	var out []*checkGroup
	for i := range fs {
		f := &fs[i]
		if f.Suppressed() {
			continue
		}
		g := byID[f.CheckID]
		if g == nil {
			g = &checkGroup{ID: f.CheckID, Title: f.Title}
			byID[f.CheckID] = g
			objects[f.CheckID] = map[string]bool{}
			fixes[f.CheckID] = map[string]int{}
			out = append(out, g)
		}
		g.Open++
		if f.Severity < o.Severity {
			g.Hidden++
		}
		g.Severity = max(g.Severity, f.Severity)
		objects[f.CheckID][f.PlaceKey()] = true
		if f.Fix != "" {
			fixes[f.CheckID][f.Fix]++
		}
	}
	for _, g := range out {
		g.Objects = len(objects[g.ID])
		best := 0
		for fix, n := range fixes[g.ID] {
			if n > best || (n == best && fix < g.Fix) {
				g.Fix, best = fix, n
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Open != b.Open {
			return a.Open > b.Open
		}
		return a.ID < b.ID
	})
	return out
}

// commonFixes maps each check to the fix the summary by check prints for it.
func commonFixes(groups []*checkGroup) map[string]string {
	m := make(map[string]string, len(groups))
	for _, g := range groups {
		m[g.ID] = g.Fix
	}
	return m
}

// countListed counts the findings the human formats list.
func countListed(fs []check.Finding, o Options) int {
	n := 0
	for i := range fs {
		if listed(&fs[i], o) {
			n++
		}
	}
	return n
}
