package report

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/framework"
)

// The JSON report's framework types (docs/json-schema.md, frameworks[]).
type jsonFramework struct {
	ID       string                 `json:"id"`
	Title    string                 `json:"title"`
	Version  string                 `json:"version"`
	Score    float64                `json:"score"`
	Counts   jsonFrameworkCounts    `json:"counts"`
	Controls []jsonFrameworkControl `json:"controls"`
}

type jsonFrameworkCounts struct {
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	NotApplicable int `json:"notApplicable"`
	NotChecked    int `json:"notChecked"`
	Manual        int `json:"manual"`
}

type jsonFrameworkControl struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Section        string   `json:"section,omitempty"`
	Kubescape      string   `json:"kubescape,omitempty"`
	Status         string   `json:"status"`
	Checks         []string `json:"checks"`
	Findings       int      `json:"findings"`
	FailingObjects []string `json:"failingObjects"`
	Reason         string   `json:"reason,omitempty"`
}

func frameworkJSON(r *framework.Result) jsonFramework {
	fw := r.Framework
	j := jsonFramework{ID: fw.ID, Title: fw.Title, Version: fw.Version, Score: roundScore(r.Score),
		Counts: jsonFrameworkCounts{Passed: r.Counts[framework.Passed], Failed: r.Counts[framework.Failed],
			NotApplicable: r.Counts[framework.NotApplicable], NotChecked: r.Counts[framework.NotChecked], Manual: r.Counts[framework.Manual]},
		Controls: make([]jsonFrameworkControl, len(r.Controls))}
	for i, c := range r.Controls {
		reason := c.Reason
		if c.Status == framework.Manual {
			reason = strings.Join(strings.Fields(c.Manual), " ")
		}
		j.Controls[i] = jsonFrameworkControl{ID: c.ID, Title: c.Title, Section: c.Section, Kubescape: c.Kubescape,
			Status: string(c.Status), Checks: nonNil(c.Checks), Findings: c.Findings, FailingObjects: nonNil(c.Objects), Reason: reason}
	}
	return j
}

// roundScore keeps one decimal: 72.5, never 72.46153846.
func roundScore(s float64) float64 { return float64(int(s*10+0.5)) / 10 }

// scoreLine says a framework's score and its controls by status, for the
// table and Markdown.
func scoreLine(r *framework.Result) string {
	var parts []string
	for _, st := range framework.Statuses() {
		if n := r.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(string(st), "-", " ")))
		}
	}
	return fmt.Sprintf("%s: score %.1f%% (%s of %d controls)", r.Framework.Title, roundScore(r.Score),
		strings.Join(parts, ", "), len(r.Controls))
}

// frameworks writes each framework's score and the controls that need
// attention (failed, not checked); JSON lists every control.
func (t *table) frameworks(rs []*framework.Result) {
	const (
		objectsShown = 3
		controlLead  = len("NOT CHECKED  ")
	)
	for _, r := range rs {
		t.heading(clean(scoreLine(r)))
		for _, c := range r.Controls {
			switch c.Status {
			case framework.Failed:
				t.para(2, t.style(styleRed, "FAILED")+"       ", controlLead, clean(c.ID+" "+c.Title+": "+someOf(c.Objects, objectsShown)), "", false)
			case framework.NotChecked:
				t.para(2, t.style(styleYellow, "NOT CHECKED")+"  ", controlLead, clean(c.ID+" "+c.Title+": "+c.Reason), "", false)
			}
		}
	}
}

// markdownFrameworks lists each framework's score and its first failed
// controls, for a pull-request comment; the JSON report lists them all.
func markdownFrameworks(rs []*framework.Result) string {
	const shown = 15
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Frameworks\n\n")
	for _, r := range rs {
		b.WriteString("- " + mdText(scoreLine(r)) + "\n")
		n := 0
		for _, c := range r.Controls {
			if c.Status != framework.Failed {
				continue
			}
			if n == shown {
				fmt.Fprintf(&b, "  - and %d more failed controls\n", r.Counts[framework.Failed]-shown)
				break
			}
			n++
			fmt.Fprintf(&b, "  - %s %s: %s\n", mdCode(c.ID), mdText(c.Title), plural(len(c.Objects), "failing object", "failing objects"))
		}
	}
	return b.String()
}
