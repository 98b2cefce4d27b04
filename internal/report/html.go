package report

import (
	_ "embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"sort"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/scan"
)

// The HTML report is one self-contained file: its style, its code and its
// data are inside, so it opens from a CI artifact or an e-mail with no
// network and fetches nothing (the page's Content-Security-Policy forbids
// it). The data is the JSON below; the script builds the views from it
// lazily, so 20,000 findings open as quickly as 20.

//go:embed htmlassets/report.css
var htmlCSS string

//go:embed htmlassets/report.js
var htmlJS string

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>kubeward report</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
  <h1>kubeward report</h1>
  <p id="verdict" class="verdict"></p>
  <p id="counts" class="muted"></p>
</header>
<main>
  <section id="summary" class="summary" aria-label="Summary"></section>
  <section id="controls" class="controls" aria-label="Filters">
    <input id="search" type="search" placeholder="Search checks, objects, files, messages" aria-label="Search">
    <span id="severities" class="chips" role="group" aria-label="Severity"></span>
    <select id="namespace" aria-label="Namespace"><option value="">All namespaces</option></select>
    <label><input id="suppressed" type="checkbox" checked> suppressed</label>
    <span class="views" role="group" aria-label="Group by">
      <button id="by-check" class="on" type="button">By check</button><button id="by-object" type="button">By object</button>
    </span>
  </section>
  <p id="shown" class="muted" aria-live="polite"></p>
  <section id="results"></section>
  <section id="extra"></section>
</main>
<footer class="muted">{{.Tool}}</footer>
<script id="data" type="application/json">{{.Data}}</script>
<script>{{.JS}}</script>
</body>
</html>
`))

// htmlData is what the page's script reads: short keys, since a large
// report holds them tens of thousands of times.
type htmlData struct {
	Summary    jsonSummary     `json:"summary"`
	Checks     []htmlCheck     `json:"checks"`
	Findings   []htmlFinding   `json:"findings"`
	Frameworks []jsonFramework `json:"frameworks"`
	Problems   []jsonProblem   `json:"problems"`
	Gaps       []jsonGap       `json:"gaps"`
	Hidden     int             `json:"hidden"` // findings below --severity, left out
}

type htmlCheck struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Rationale string `json:"rationale"`
	Fix       string `json:"fix"`
}

type htmlFinding struct {
	Check      int    `json:"c"` // index in Checks
	Severity   string `json:"s"`
	Object     string `json:"o"`
	Namespace  string `json:"n,omitempty"`
	Where      string `json:"w,omitempty"` // file:line:column, or the cluster
	Path       string `json:"p,omitempty"`
	Message    string `json:"m"`
	Fix        string `json:"f,omitempty"` // only when it differs from the check's
	Suppressed string `json:"x,omitempty"` // the suppression's reason
	// Also names the other places of a finding found in several files
	// (check.Finding.Elsewhere), counted once; Vendored marks code the
	// user does not own, outside the gate unless --gate-vendored.
	Also     string `json:"a,omitempty"`
	Vendored bool   `json:"v,omitempty"`
}

// HTML writes the self-contained HTML report.
func HTML(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	d := htmlData{Summary: summaryJSON(Summarize(res, o)), Frameworks: []jsonFramework{}, Problems: []jsonProblem{}, Gaps: []jsonGap{}}
	index := map[string]int{}
	for _, m := range rules(res, o) {
		index[m.ID] = len(d.Checks)
		d.Checks = append(d.Checks, htmlCheck{ID: m.ID, Title: m.Title, Severity: m.Severity.String(), Rationale: m.Rationale, Fix: m.Fix})
	}
	// The most severe first, then by check and object: the order of the
	// views before any filter.
	var shown []*check.Finding
	for i := range res.Findings {
		if res.Findings[i].Severity >= o.Severity {
			shown = append(shown, &res.Findings[i])
		}
	}
	sort.SliceStable(shown, func(i, j int) bool {
		a, b := shown[i], shown[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		return index[a.CheckID] < index[b.CheckID]
	})
	d.Findings = make([]htmlFinding, 0, len(shown))
	for _, f := range shown {
		c := index[f.CheckID]
		h := htmlFinding{Check: c, Severity: f.Severity.String(), Object: f.Object.String(), Namespace: f.Object.Namespace,
			Where: findingWhere(f), Path: f.Path, Message: f.Message}
		if f.Fix != d.Checks[c].Fix {
			h.Fix = f.Fix
		}
		h.Also, h.Vendored = alsoIn(f, 0), f.Vendored && !o.GateVendored
		if f.Suppressed() {
			h.Suppressed = f.Suppression.Reason
			if h.Suppressed == "" {
				h.Suppressed = "suppressed"
			}
		}
		d.Findings = append(d.Findings, h)
	}
	d.Hidden = len(res.Findings) - len(d.Findings)
	for _, r := range o.Frameworks {
		d.Frameworks = append(d.Frameworks, frameworkJSON(r))
	}
	for _, p := range res.Problems {
		d.Problems = append(d.Problems, jsonProblem{Level: string(p.Level), File: p.File, Line: p.Line, Column: p.Column, Object: p.Object, Path: p.Path, Message: p.Message})
	}
	for _, g := range res.Coverage {
		d.Gaps = append(d.Gaps, gapJSON(g))
	}
	// encoding/json escapes <, > and & in strings, so no value can close
	// the script element that holds the data.
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	tool := "kubeward"
	if o.ToolVersion != "" {
		tool += " " + o.ToolVersion
	}
	return htmlPage.Execute(w, map[string]any{
		"CSS":  template.CSS(htmlCSS),
		"JS":   template.JS(htmlJS),
		"Data": template.JS(data),
		"Tool": tool,
	})
}

// findingWhere is the finding's place for people: file:line:column, or the
// cluster it was read from.
func findingWhere(f *check.Finding) string {
	if position(f) != "" {
		return compactWhere(f)
	}
	if f.Source.Cluster != "" {
		return "cluster " + f.Source.Cluster
	}
	return ""
}
