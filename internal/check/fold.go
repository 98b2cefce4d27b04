package check

import (
	"sort"
	"strconv"
	"strings"
)

// Fold makes one finding of each root cause that several checks report on
// one object: the results that share a Cause (see Result.Cause). The
// finding that speaks for them is the one that Leads, else the most
// severe, else the first by check id; it takes the highest severity among
// them, lists what each other check said in its message, and keeps the
// others in Folded. Its fingerprint is its own, unchanged, and so is each
// folded one's. Nothing is dropped: a folded finding is still in the
// report, under the one that speaks for it.
//
// Only findings alike for the gate fold together: a suppressed finding
// never hides an open one, nor vendored code owned code. Findings of the
// leading check itself stay apart (two sensitive host paths of one pod
// are two fixes). The order of fs is kept.
func Fold(fs []Finding) []Finding {
	groups := map[string][]int{}
	var keys []string
	for i := range fs {
		f := &fs[i]
		if f.cause == "" {
			continue
		}
		k := f.PlaceKey() + "\x00" + f.cause + "\x00" + gateKey(f)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	drop := map[int]bool{}
	for _, k := range keys {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		sort.SliceStable(idx, func(a, b int) bool { return speaksBefore(&fs[idx[a]], &fs[idx[b]]) })
		lead := &fs[idx[0]]
		var facets []string
		for _, i := range idx[1:] {
			f := &fs[i]
			if f.CheckID == lead.CheckID {
				continue
			}
			facet := f.facet
			if facet == "" {
				facet = f.Message
			}
			facets = append(facets, facet+" ("+f.CheckID+")")
			lead.Severity = max(lead.Severity, f.Severity)
			lead.Folded = append(lead.Folded, *f)
			drop[i] = true
		}
		if len(facets) > 0 {
			lead.Message += "; also " + strings.Join(facets, ", ")
		}
	}
	if len(drop) == 0 {
		return fs
	}
	out := fs[:0:0]
	for i := range fs {
		if !drop[i] {
			out = append(out, fs[i])
		}
	}
	return out
}

func speaksBefore(a, b *Finding) bool {
	if a.leads != b.leads {
		return a.leads
	}
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.CheckID != b.CheckID {
		return a.CheckID < b.CheckID
	}
	if a.Position.Line != b.Position.Line {
		return a.Position.Line < b.Position.Line
	}
	return a.Path < b.Path
}

// PlaceKey names the object a finding is about in the place it was read
// from: its identity (Kind/namespace/name) and its source, but not the
// line. Folding, and the reports' groups by object, key on it.
func (f *Finding) PlaceKey() string {
	s := f.Source
	return f.Object.String() + "\x00" + s.File + "\x00" + strconv.Itoa(s.Document) + "\x00" +
		strconv.Itoa(s.ListItem) + "\x00" + s.Template + "\x00" + s.Cluster
}

// gateKey tells findings apart that the gate counts differently.
func gateKey(f *Finding) string {
	k := "open"
	if f.Suppressed() {
		k = "suppressed:" + f.Suppression.Origin
	}
	if f.Vendored {
		k += ":vendored"
	}
	return k
}

// Group makes one finding of each fingerprint found in several places: the
// same check on the same object and field, read from several files (a
// chart vendored twice, an install bundle and its HA copy). The place
// nearest the root (fewest directories, then first in file order) speaks
// for the others, which it keeps in Elsewhere; the summary and the gate
// count it once. Findings of one fingerprint that differ in severity,
// suppression or vendoring stay apart: each is counted as it is. fs must
// be sorted (SortFindings); so is the result.
func Group(fs []Finding) []Finding {
	first := map[string]int{}
	var out []Finding
	grouped := false
	for i := range fs {
		f := &fs[i]
		k := f.Fingerprint() + "\x00" + f.Severity.String() + "\x00" + gateKey(f)
		j, ok := first[k]
		if !ok || out[j].PlaceKey() == f.PlaceKey() {
			first[k] = len(out)
			out = append(out, *f)
			continue
		}
		grouped = true
		g := &out[j]
		if depth(f.Source.File) < depth(g.Source.File) {
			// The copy nearer the root speaks for the group.
			others := append([]Finding{}, g.Elsewhere...)
			g.Elsewhere = nil
			others = append(others, *g)
			*g = *f
			g.Elsewhere = others
			SortFindings(g.Elsewhere)
			continue
		}
		g.Elsewhere = append(g.Elsewhere, *f)
	}
	if grouped {
		SortFindings(out)
	}
	return out
}

func depth(file string) int { return strings.Count(file, "/") }

// Finish is what every door does to a run's findings before reporting
// them: sorted, folded by root cause, grouped by fingerprint.
func Finish(fs []Finding) []Finding {
	SortFindings(fs)
	return Group(Fold(fs))
}
