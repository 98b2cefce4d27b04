package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

// AlertRun is what an audit scan read besides its alerts.
type AlertRun struct {
	Dropped     int // alerts not kept for the table (see the caller's bound)
	InputErrors int // inputs that held no audit event or could not be read
}

// AlertTable writes the alerts of an audit scan for people, most severe
// first, in the layout of the scan's table: severity, rule and message, then
// who did it, from where and when, where the event was read, and the fix;
// last the gate, which says what the exit code says (o.FailOn). Everything
// printed comes from the audit log, which an attacker may have written to:
// it is cleaned of terminal control sequences.
func AlertTable(w io.Writer, alerts []detect.Alert, run AlertRun, o Options) error {
	t := &table{w: bufio.NewWriterSize(w, 64<<10), o: o, width: o.Width}
	if t.width <= 0 {
		t.width = defaultWidth
	}
	sorted := make([]*detect.Alert, len(alerts))
	for i := range alerts {
		sorted[i] = &alerts[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Severity > sorted[j].Severity })
	var bySev [check.Critical + 1]int
	total, gated := 0, 0
	for _, a := range sorted {
		t.alert(a)
		n := max(a.Count, 1)
		total += n
		if a.Severity >= 0 && int(a.Severity) < len(bySev) {
			bySev[a.Severity] += n
		}
		if o.FailOn != check.SeverityUnknown && a.Severity >= o.FailOn {
			gated += n
		}
	}
	t.section()
	if total == 0 && run.Dropped == 0 {
		t.w.WriteString("No alerts.\n")
	} else {
		var sev []string
		for _, v := range severitiesDesc {
			if n := bySev[v]; n > 0 {
				sev = append(sev, t.style(severityStyle[v], fmt.Sprintf("%d %s", n, v)))
			}
		}
		fmt.Fprintf(t.w, "%s (%s).\n", plural(total, "alert", "alerts"), strings.Join(sev, ", "))
		if run.Dropped > 0 {
			fmt.Fprintf(t.w, "%s more not listed: write them all with -o json.\n", plural(run.Dropped, "alert", "alerts"))
		}
	}
	switch {
	case run.InputErrors > 0:
		t.para(0, "", 0, fmt.Sprintf("Gate --fail-on %s: %s (%s: not every input was read; the run exits 2).", gateName(o.FailOn),
			t.style(styleBoldRd, "INCOMPLETE"), plural(run.InputErrors, "input error", "input errors")), "", false)
	case o.FailOn == check.SeverityUnknown:
		t.w.WriteString("Gate --fail-on none: alerts do not fail the run.\n")
	case gated > 0:
		fmt.Fprintf(t.w, "Gate --fail-on %s: %s (%s at or above %s).\n", o.FailOn, t.style(styleBoldRd, "FAILED"), plural(gated, "alert", "alerts"), o.FailOn)
	default:
		fmt.Fprintf(t.w, "Gate --fail-on %s: %s (no alert at or above %s).\n", o.FailOn, t.style(styleGreen, "passed"), o.FailOn)
	}
	return t.w.Flush()
}

func (t *table) alert(a *detect.Alert) {
	t.section()
	label := strings.ToUpper(a.Severity.String())
	pad := strings.Repeat(" ", max(1, sevWidth-len(label)))
	style := severityStyle[a.Severity]
	msg := clean(a.Rule) + ": " + clean(a.Message)
	if a.Count > 1 {
		msg += fmt.Sprintf(" (%d times)", a.Count)
	}
	t.para(2, t.style(style, label)+pad, sevWidth, msg, style, false)
	indent := 2 + sevWidth
	var who []string
	if a.User != "" {
		who = append(who, "by "+clean(a.User))
	}
	if a.ImpersonatedUser != "" {
		who = append(who, "as "+clean(a.ImpersonatedUser))
	}
	if len(a.SourceIPs) > 0 {
		who = append(who, "from "+clean(strings.Join(a.SourceIPs, ", ")))
	}
	if !a.Time.IsZero() {
		when := a.Time.UTC().Format(time.RFC3339)
		if a.LastSeen != nil && a.FirstSeen != nil && !a.LastSeen.Equal(*a.FirstSeen) {
			when = a.FirstSeen.UTC().Format(time.RFC3339) + " to " + a.LastSeen.UTC().Format(time.RFC3339)
		}
		who = append(who, "at "+when)
	}
	if a.Source != "" {
		who = append(who, "("+clean(a.Source)+")")
	}
	if len(who) > 0 {
		t.para(indent, "", 0, strings.Join(who, " "), styleDim, false)
	}
	if a.Fix != "" {
		t.para(indent, "", 0, "fix: "+clean(a.Fix), "", false)
	}
}
