package report

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/scan"
)

// Compact writes one line per finding, for editors' quickfix lists and
// grep:
//
//	file:line:col severity check message
//
// The position is the offending field's (a finding without one gives the
// object's file and line, and an object read from a cluster its reference,
// Kind/namespace/name); the message is on one line, cleaned of control
// characters. Suppressed findings are listed only with ShowSuppressed,
// marked, and findings below Options.Severity not at all. Input problems
// follow as lines of the check "input" with the level for severity.
// Nothing else is written: the exit code carries the gate.
func Compact(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for i := range res.Findings {
		f := &res.Findings[i]
		if !listed(f, o) {
			continue
		}
		msg := f.Message
		if f.Suppressed() {
			msg += " [suppressed: " + f.Suppression.Reason + "]"
		}
		compactLine(bw, compactWhere(f), f.Severity.String(), f.CheckID, msg)
	}
	for _, p := range res.Problems {
		where := p.File
		if where == "" {
			where = "-"
		}
		if p.Line > 0 {
			where += ":" + strconv.Itoa(p.Line)
			if p.Column > 0 {
				where += ":" + strconv.Itoa(p.Column)
			}
		}
		msg := p.Message
		if p.Object != "" {
			msg = p.Object + ": " + msg
		}
		compactLine(bw, where, string(p.Level), "input", msg)
	}
	return bw.Flush()
}

// compactWhere is the first field of a compact line: file:line:col, or
// what says best where the object is when the field has no position.
func compactWhere(f *check.Finding) string {
	if pos := position(f); pos != "" {
		if f.Position.Line == 0 && f.Source.Line > 0 {
			pos += ":" + strconv.Itoa(f.Source.Line)
		}
		return pos
	}
	return f.Object.String()
}

func compactLine(w *bufio.Writer, where, severity, checkID, msg string) {
	w.WriteString(OneLine(where))
	w.WriteByte(' ')
	w.WriteString(severity)
	w.WriteByte(' ')
	w.WriteString(OneLine(checkID))
	w.WriteByte(' ')
	w.WriteString(OneLine(msg))
	w.WriteByte('\n')
}

// OneLine makes input text safe for a one-line record on a terminal:
// control characters escaped, newlines and runs of spaces folded to one
// space.
func OneLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
