// Package baseline compares findings across runs: a scan that gates only
// on what a change added (scan --baseline OLD.json), and the difference of
// two reports (kubeward diff OLD.json NEW.json).
//
// Findings are matched by their fingerprint (check.Finding.Fingerprint): the
// check, the object's API group, kind, namespace and name, the field path
// and, for live objects, the cluster. It leaves out the file, the line and
// the message, so moved lines, renamed files, reordered documents and
// reworded messages keep a finding's identity. The findings a report
// holds inside others (the other places of a grouped finding, the other
// checks' findings folded into one) are matched as if they were top-level:
// folding and grouping change how a report shows a finding, not whether it
// is there. Two findings can share a
// fingerprint (the same object in two overlays): matching then counts, one
// old finding for one new one, and prefers the one in the same file, so a
// second copy of an old problem in a new file is new.
package baseline

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/report"
)

// Finding is what a comparison needs of one finding of a report.
type Finding struct {
	Fingerprint string
	Check       string
	Severity    check.Severity
	Object      string // Kind/namespace/name
	File        string // where the field is, "" for a live object
	Line        int
	Column      int
	Message     string
	Suppressed  bool
	// Inner are the findings the report gives inside this one: the other
	// places of it (check.Group) and the other checks' findings folded
	// into it (check.Fold), each with its own fingerprint. Matching counts
	// them as present like top-level ones, so a baseline written before
	// folding or grouping still finds each of its findings.
	Inner []Finding
}

// Report is the findings of a JSON report.
type Report struct {
	Findings []Finding
}

// jsonReport is the part of the JSON report (docs/json-schema.md) a
// comparison reads.
type jsonReport struct {
	SchemaVersion string        `json:"schemaVersion"`
	Findings      []jsonFinding `json:"findings"`
}

type jsonFinding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Object   struct {
		Ref string `json:"ref"`
	} `json:"object"`
	Location    *jsonLocation `json:"location"`
	Message     string        `json:"message"`
	Suppressed  bool          `json:"suppressed"`
	Fingerprint string        `json:"fingerprint"`
	Elsewhere   []struct {
		Object struct {
			Ref string `json:"ref"`
		} `json:"object"`
		Location *jsonLocation `json:"location"`
		Message  string        `json:"message"`
		Folded   []jsonFinding `json:"folded"`
	} `json:"elsewhere"`
	Folded []jsonFinding `json:"folded"`
}

type jsonLocation struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// maxReport bounds the report a comparison reads: a report of a million
// findings is about 1 GiB; the input is the user's, but a wrong path (a
// device, a huge log) must not take the machine's memory.
const maxReport = 1 << 30

// ReadFile reads a JSON report written by kubeward scan -o json.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	r, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Read reads a JSON report from r.
func Read(r io.Reader) (*Report, error) {
	var doc jsonReport
	dec := json.NewDecoder(io.LimitReader(r, maxReport))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a kubeward JSON report: %w", err)
	}
	if doc.SchemaVersion != report.SchemaVersion {
		if doc.SchemaVersion == "" {
			return nil, errors.New("not a kubeward JSON report (no schemaVersion): write one with scan -o json=FILE")
		}
		return nil, fmt.Errorf("report schema %q, want %q", doc.SchemaVersion, report.SchemaVersion)
	}
	out := &Report{Findings: make([]Finding, 0, len(doc.Findings))}
	for i := range doc.Findings {
		f, err := fromJSON(&doc.Findings[i])
		if err != nil {
			return nil, fmt.Errorf("finding %d: %w", i, err)
		}
		out.Findings = append(out.Findings, f)
	}
	return out, nil
}

func fromJSON(f *jsonFinding) (Finding, error) {
	if f.Fingerprint == "" || f.Check == "" {
		return Finding{}, errors.New("no fingerprint or check")
	}
	sev, _ := check.ParseSeverity(f.Severity)
	bf := Finding{Fingerprint: f.Fingerprint, Check: f.Check, Severity: sev, Object: f.Object.Ref,
		Message: f.Message, Suppressed: f.Suppressed}
	if l := f.Location; l != nil {
		bf.File, bf.Line, bf.Column = l.File, l.Line, l.Column
	}
	folded := func(fs []jsonFinding) error {
		for i := range fs {
			g, err := fromJSON(&fs[i])
			if err != nil {
				return fmt.Errorf("folded %d: %w", i, err)
			}
			bf.Inner = append(bf.Inner, g)
		}
		return nil
	}
	if err := folded(f.Folded); err != nil {
		return Finding{}, err
	}
	for _, e := range f.Elsewhere {
		place := Finding{Fingerprint: bf.Fingerprint, Check: bf.Check, Severity: bf.Severity, Object: e.Object.Ref,
			Message: cmp.Or(e.Message, bf.Message), Suppressed: bf.Suppressed}
		if l := e.Location; l != nil {
			place.File, place.Line, place.Column = l.File, l.Line, l.Column
		}
		bf.Inner = append(bf.Inner, place)
		if err := folded(e.Folded); err != nil {
			return Finding{}, err
		}
	}
	return bf, nil
}

// FromFindings makes the comparison's view of a run's findings.
func FromFindings(fs []check.Finding) []Finding {
	out := make([]Finding, len(fs))
	for i := range fs {
		out[i] = fromFinding(&fs[i])
	}
	return out
}

func fromFinding(f *check.Finding) Finding {
	bf := Finding{Fingerprint: f.Fingerprint(), Check: f.CheckID, Severity: f.Severity,
		Object: f.Object.String(), File: report.FindingFile(f), Line: f.Position.Line, Column: f.Position.Column,
		Message: f.Message, Suppressed: f.Suppressed()}
	for i := range f.Folded {
		bf.Inner = append(bf.Inner, fromFinding(&f.Folded[i]))
	}
	for i := range f.Elsewhere {
		e := fromFinding(&f.Elsewhere[i])
		bf.Inner = append(bf.Inner, e.Inner...)
		e.Inner = nil
		bf.Inner = append(bf.Inner, e)
	}
	return bf
}

// flatten lists each finding and, after it, those inside it (Inner), with
// the index in fs of the top-level finding each belongs to.
func flatten(fs []Finding) (flat []Finding, owner []int) {
	var add func(i int, f Finding)
	add = func(i int, f Finding) {
		inner := f.Inner
		f.Inner = nil
		flat, owner = append(flat, f), append(owner, i)
		for _, g := range inner {
			add(i, g)
		}
	}
	for i, f := range fs {
		add(i, f)
	}
	return flat, owner
}

// Match pairs old findings with new ones by fingerprint, one for one, a
// pair in the same file first. It returns, by index, the new findings
// that no old one matches, the old ones that no new one matches, and the
// pairs.
func Match(old, cur []Finding) (added, removed []int, pairs [][2]int) {
	type key struct{ fp, file string }
	byFP := map[string][]int{}
	byFile := map[key][]int{}
	for i, f := range old {
		byFP[f.Fingerprint] = append(byFP[f.Fingerprint], i)
		byFile[key{f.Fingerprint, f.File}] = append(byFile[key{f.Fingerprint, f.File}], i)
	}
	used := make([]bool, len(old))
	take := func(cands []int) int {
		for _, i := range cands {
			if !used[i] {
				used[i] = true
				return i
			}
		}
		return -1
	}
	matched := make([]int, len(cur))
	// Same file first, over all new findings, so a copy in another file
	// never takes the old finding its own file's copy should have.
	for j, f := range cur {
		matched[j] = take(byFile[key{f.Fingerprint, f.File}])
	}
	for j, f := range cur {
		if matched[j] < 0 {
			matched[j] = take(byFP[f.Fingerprint])
		}
	}
	for j, i := range matched {
		if i < 0 {
			added = append(added, j)
		} else {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	for i := range old {
		if !used[i] {
			removed = append(removed, i)
		}
	}
	sort.Slice(pairs, func(a, b int) bool { return pairs[a][1] < pairs[b][1] })
	return added, removed, pairs
}

// Filter keeps the findings of a run that the baseline does not hold, for
// scan --baseline: the others were there before the change and neither
// gate nor are listed. A finding is kept when it or any finding inside it
// (another place of it, another check's finding folded into it) is new.
// It returns the kept findings and the number left out. Suppressed
// findings on either side take part like the others: a suppression does
// not make a finding new.
func Filter(fs []check.Finding, base *Report) (kept []check.Finding, baselined int) {
	isNew, _ := fresh(base.Findings, FromFindings(fs))
	for i := range fs {
		if isNew[i] {
			kept = append(kept, fs[i])
		}
	}
	return kept, len(fs) - len(kept)
}

// fresh matches old and cur with the findings inside them (Inner): isNew
// tells, per finding of cur, whether it or a finding inside it is not in
// old; gone are the findings of old, inside others or not, that cur lacks.
func fresh(old, cur []Finding) (isNew []bool, gone []Finding) {
	o, _ := flatten(old)
	c, owner := flatten(cur)
	added, removed, _ := Match(o, c)
	isNew = make([]bool, len(cur))
	for _, j := range added {
		isNew[owner[j]] = true
	}
	for _, i := range removed {
		gone = append(gone, o[i])
	}
	return isNew, gone
}
