// Package baseline compares findings across runs: a scan that gates only
// on what a change added (scan --baseline OLD.json), and the difference of
// two reports (kubeward diff OLD.json NEW.json).
//
// Findings are matched by their fingerprint (report.Fingerprint): the
// check, the object's API group, kind, namespace and name, the field path
// and, for live objects, the cluster. It leaves out the file, the line and
// the message, so moved lines, renamed files, reordered documents and
// reworded messages keep a finding's identity. Two findings can share a
// fingerprint (the same object in two overlays): matching then counts, one
// old finding for one new one, and prefers the one in the same file, so a
// second copy of an old problem in a new file is new.
package baseline

import (
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
}

// Report is the findings of a JSON report.
type Report struct {
	Findings []Finding
}

// jsonReport is the part of the JSON report (docs/json-schema.md) a
// comparison reads.
type jsonReport struct {
	SchemaVersion string `json:"schemaVersion"`
	Findings      []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Object   struct {
			Ref string `json:"ref"`
		} `json:"object"`
		Location *struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"location"`
		Message     string `json:"message"`
		Suppressed  bool   `json:"suppressed"`
		Fingerprint string `json:"fingerprint"`
	} `json:"findings"`
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
	for i, f := range doc.Findings {
		if f.Fingerprint == "" || f.Check == "" {
			return nil, fmt.Errorf("finding %d has no fingerprint or check", i)
		}
		sev, _ := check.ParseSeverity(f.Severity)
		bf := Finding{Fingerprint: f.Fingerprint, Check: f.Check, Severity: sev, Object: f.Object.Ref,
			Message: f.Message, Suppressed: f.Suppressed}
		if l := f.Location; l != nil {
			bf.File, bf.Line, bf.Column = l.File, l.Line, l.Column
		}
		out.Findings = append(out.Findings, bf)
	}
	return out, nil
}

// FromFindings makes the comparison's view of a run's findings.
func FromFindings(fs []check.Finding) []Finding {
	out := make([]Finding, len(fs))
	for i := range fs {
		f := &fs[i]
		out[i] = Finding{Fingerprint: report.Fingerprint(f), Check: f.CheckID, Severity: f.Severity,
			Object: f.Object.String(), File: report.FindingFile(f), Line: f.Position.Line, Column: f.Position.Column,
			Message: f.Message, Suppressed: f.Suppressed()}
	}
	return out
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
// gate nor are listed. It returns the kept findings and the number left
// out. Suppressed findings on either side take part like the others: a
// suppression does not make a finding new.
func Filter(fs []check.Finding, base *Report) (kept []check.Finding, baselined int) {
	added, _, _ := Match(base.Findings, FromFindings(fs))
	kept = make([]check.Finding, 0, len(added))
	for _, j := range added {
		kept = append(kept, fs[j])
	}
	return kept, len(fs) - len(kept)
}
