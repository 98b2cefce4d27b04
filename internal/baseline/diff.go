package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/report"
)

// Diff is what changed between two reports' open (unsuppressed) findings.
// A finding suppressed since counts as fixed: it is no longer reported.
type Diff struct {
	New       []Finding
	Fixed     []Finding
	Unchanged []Finding // as the new report states them
}

// Compare matches two reports' open findings with the findings inside them
// (see Finding.Inner): a finding is new when it or one inside it is (as
// scan --baseline keeps it), and each finding of the old report, inside
// another or not, that the new one lacks is fixed.
func Compare(old, cur *Report) *Diff {
	c := open(cur.Findings)
	isNew, gone := fresh(open(old.Findings), c)
	d := &Diff{Fixed: gone}
	for i, f := range c {
		if isNew[i] {
			d.New = append(d.New, f)
		} else {
			d.Unchanged = append(d.Unchanged, f)
		}
	}
	return d
}

func open(fs []Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	return out
}

// AtOrAbove counts new findings at or above a severity.
func (d *Diff) AtOrAbove(s check.Severity) int {
	n := 0
	for _, f := range d.New {
		if f.Severity >= s {
			n++
		}
	}
	return n
}

// Formats lists the formats of kubeward diff.
func Formats() []string { return []string{"table", "json"} }

// Write renders the diff.
func (d *Diff) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return d.writeJSON(w)
	case "table":
		return d.writeTable(w)
	}
	return fmt.Errorf("unknown diff format %q (want table or json)", format)
}

type jsonDiffFinding struct {
	Fingerprint string `json:"fingerprint"`
	Check       string `json:"check"`
	Severity    string `json:"severity"`
	Object      string `json:"object"`
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
	Column      int    `json:"column,omitempty"`
	Message     string `json:"message"`
}

func (d *Diff) writeJSON(w io.Writer) error {
	conv := func(fs []Finding) []jsonDiffFinding {
		out := make([]jsonDiffFinding, 0, len(fs))
		for _, f := range fs {
			out = append(out, jsonDiffFinding{Fingerprint: f.Fingerprint, Check: f.Check, Severity: f.Severity.String(),
				Object: f.Object, File: f.File, Line: f.Line, Column: f.Column, Message: f.Message})
		}
		return out
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		New       []jsonDiffFinding `json:"new"`
		Fixed     []jsonDiffFinding `json:"fixed"`
		Unchanged []jsonDiffFinding `json:"unchanged"`
	}{conv(d.New), conv(d.Fixed), conv(d.Unchanged)})
}

func (d *Diff) writeTable(w io.Writer) error {
	var b strings.Builder
	section := func(title string, fs []Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d)\n", title, len(fs))
		for _, f := range fs {
			label := strings.ToUpper(f.Severity.String())
			fmt.Fprintf(&b, "  %-8s %s  %s", label, report.OneLine(f.Check), report.OneLine(f.Object))
			if where := f.where(); where != "" {
				b.WriteString("  " + report.OneLine(where))
			}
			b.WriteString("\n           " + report.OneLine(f.Message) + "\n")
		}
		b.WriteByte('\n')
	}
	section("New", d.New)
	section("Fixed", d.Fixed)
	fmt.Fprintf(&b, "%d new, %d fixed, %d unchanged.\n", len(d.New), len(d.Fixed), len(d.Unchanged))
	_, err := io.WriteString(w, b.String())
	return err
}

func (f Finding) where() string {
	if f.File == "" {
		return ""
	}
	s := f.File
	if f.Line > 0 {
		s += ":" + strconv.Itoa(f.Line)
		if f.Column > 0 {
			s += ":" + strconv.Itoa(f.Column)
		}
	}
	return s
}
