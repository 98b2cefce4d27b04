package report

import (
	"bufio"
	"errors"
	"io"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/scan"
)

// SchemaVersion names the JSON report's schema (docs/json-schema.md). Fields
// may be added within a version; removing, renaming or retyping one makes a
// new version.
const SchemaVersion = "kubeward.dev/v1"

// The JSON report has its own types, not the engine's, so the schema changes
// only on purpose, never because a struct tag in the core moved. The top
// level is written field by field (see JSON).

type jsonTool struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	InformationURI string `json:"informationUri"`
}

type jsonSummary struct {
	Objects             int              `json:"objects"`
	Checks              int              `json:"checks"`
	Findings            int              `json:"findings"`
	BySeverity          jsonBySeverity   `json:"bySeverity"`
	Suppressed          int              `json:"suppressed"`
	Baselined           int              `json:"baselined,omitempty"`
	ExpiredSuppressions int              `json:"expiredSuppressions"`
	Vendored            int              `json:"vendored"`
	Elsewhere           int              `json:"elsewhere"`
	Folded              int              `json:"folded"`
	Problems            jsonProblemCount `json:"problems"`
	Skipped             int              `json:"skipped"`
	CoverageGaps        int              `json:"coverageGaps"`
	Coverage            jsonCoverageSum  `json:"coverage"`
	Gate                jsonGate         `json:"gate"`
	ExitCode            int              `json:"exitCode"`
}

type jsonCoverageSum struct {
	NotRun         int `json:"notRun"`
	Partial        int `json:"partial"`
	NothingToJudge int `json:"nothingToJudge"`
	Gaps           int `json:"gaps"`
	AcceptedGaps   int `json:"acceptedGaps"`
}

type jsonBySeverity struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

type jsonProblemCount struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

type jsonGate struct {
	FailOn   string `json:"failOn"`
	Failed   bool   `json:"failed"`
	Findings int    `json:"findings"`
}

type jsonCheck struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	Severity   string          `json:"severity"`
	Category   string          `json:"category"`
	Rationale  string          `json:"rationale"`
	Fix        string          `json:"fix"`
	References []jsonReference `json:"references"`
}

type jsonReference struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	URL       string `json:"url,omitempty"`
}

type jsonFinding struct {
	Check       string           `json:"check"`
	Title       string           `json:"title"`
	Severity    string           `json:"severity"`
	Category    string           `json:"category"`
	Object      jsonObject       `json:"object"`
	Source      jsonSource       `json:"source"`
	Location    *jsonLocation    `json:"location,omitempty"`
	Path        string           `json:"path,omitempty"`
	Image       string           `json:"image,omitempty"`
	Message     string           `json:"message"`
	Fix         string           `json:"fix"`
	Suppressed  bool             `json:"suppressed"`
	Suppression *jsonSuppression `json:"suppression,omitempty"`
	Fingerprint string           `json:"fingerprint"`
	Vendored    bool             `json:"vendored,omitempty"`
	Elsewhere   []jsonPlace      `json:"elsewhere,omitempty"`
	Folded      []jsonFinding    `json:"folded,omitempty"`
}

// jsonPlace is another place holding the same finding; its message is
// given when it differs (the same object written differently).
type jsonPlace struct {
	Object   jsonObject    `json:"object"`
	Source   jsonSource    `json:"source"`
	Location *jsonLocation `json:"location,omitempty"`
	Message  string        `json:"message,omitempty"`
	Folded   []jsonFinding `json:"folded,omitempty"`
}

type jsonObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Ref        string `json:"ref"`
}

type jsonSource struct {
	File            string `json:"file,omitempty"`
	Document        *int   `json:"document,omitempty"` // only with a file
	Line            int    `json:"line,omitempty"`
	Template        string `json:"template,omitempty"`
	ListItem        int    `json:"listItem,omitempty"`
	Cluster         string `json:"cluster,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

type jsonLocation struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Rendered bool   `json:"rendered,omitempty"`
}

type jsonSuppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	Origin  string `json:"origin"`
	Expired bool   `json:"expired"`
}

type jsonProblem struct {
	Level   string `json:"level"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Object  string `json:"object,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

type jsonSkipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// jsonCheckCoverage is one check a gap affects (the `coverage` array).
type jsonCheckCoverage struct {
	Check  string   `json:"check"`
	Reason string   `json:"reason"`
	Status string   `json:"status"`
	Gaps   []string `json:"gaps"`
}

// jsonGap is one gap, with the checks it affects (the `gaps` array).
type jsonGap struct {
	ID             string        `json:"id"`
	Namespace      string        `json:"namespace,omitempty"`
	Reason         string        `json:"reason"`
	Grant          *jsonGrant    `json:"grant,omitempty"`
	NotRun         []string      `json:"notRun"`
	Partial        []string      `json:"partial"`
	NothingToJudge []string      `json:"nothingToJudge"`
	Objects        []string      `json:"objects"`
	Accepted       *jsonAccepted `json:"accepted,omitempty"`
}

type jsonGrant struct {
	APIGroup  string   `json:"apiGroup"`
	Resource  string   `json:"resource"`
	Verbs     []string `json:"verbs"`
	Namespace string   `json:"namespace,omitempty"`
}

type jsonAccepted struct {
	Reason string `json:"reason"`
	Origin string `json:"origin"`
}

func gapJSON(g scan.Gap) jsonGap {
	j := jsonGap{ID: g.ID, Namespace: g.Namespace, Reason: g.Reason,
		NotRun: nonNil(g.NotRun), Partial: nonNil(g.Partial), NothingToJudge: nonNil(g.NothingToJudge), Objects: nonNil(g.Objects)}
	if gr := g.Grant; gr != nil {
		j.Grant = &jsonGrant{APIGroup: gr.APIGroup, Resource: gr.Resource, Verbs: gr.Verbs, Namespace: gr.Namespace}
	}
	if a := g.Accepted; a != nil {
		j.Accepted = &jsonAccepted{Reason: a.Reason, Origin: a.Origin}
	}
	return j
}

// nonNil keeps arrays present in the JSON: readers need not test for null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON writes the report in the schema named by SchemaVersion, described in
// docs/json-schema.md and docs/kubeward-report.schema.json. Findings are
// encoded one at a time, so memory does not grow with the report.
func JSON(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	r := newObjectWriter(bw, "")
	r.field("schemaVersion", SchemaVersion)
	r.field("tool", jsonTool{Name: "kubeward", Version: o.ToolVersion, InformationURI: InformationURI})
	r.field("summary", summaryJSON(Summarize(res, o)))
	metas := rules(res, o)
	r.array("checks", len(metas), func(i int) any { return checkJSON(metas[i]) })
	r.array("findings", len(res.Findings), func(i int) any { return findingJSON(&res.Findings[i]) })
	r.array("problems", len(res.Problems), func(i int) any {
		p := res.Problems[i]
		return jsonProblem{Level: string(p.Level), File: p.File, Line: p.Line, Column: p.Column, Object: p.Object, Path: p.Path, Message: p.Message}
	})
	r.array("skipped", len(res.Skipped), func(i int) any { return jsonSkipped(res.Skipped[i]) })
	perCheck := res.CheckCoverage()
	r.array("coverage", len(perCheck), func(i int) any {
		c := perCheck[i]
		return jsonCheckCoverage{Check: c.Check, Reason: c.Reason, Status: string(c.Status), Gaps: c.Gaps}
	})
	r.array("gaps", len(res.Coverage), func(i int) any { return gapJSON(res.Coverage[i]) })
	if len(o.Frameworks) > 0 {
		r.array("frameworks", len(o.Frameworks), func(i int) any { return frameworkJSON(o.Frameworks[i]) })
	}
	r.close()
	r.write("\n")
	if r.err != nil {
		return r.err
	}
	return bw.Flush()
}

func summaryJSON(s Summary) jsonSummary {
	return jsonSummary{
		Objects: s.Objects, Checks: s.Checks, Findings: s.Findings,
		BySeverity: jsonBySeverity{
			Critical: s.BySeverity[check.Critical], High: s.BySeverity[check.High],
			Medium: s.BySeverity[check.Medium], Low: s.BySeverity[check.Low], Info: s.BySeverity[check.Info],
		},
		Suppressed: s.Suppressed, Baselined: s.Baselined, ExpiredSuppressions: s.Expired,
		Vendored: s.Vendored, Elsewhere: s.Elsewhere, Folded: s.Folded,
		Problems: jsonProblemCount{Errors: s.Errors, Warnings: s.Warnings},
		Skipped:  s.Skipped, CoverageGaps: s.Incomplete(),
		Coverage: jsonCoverageSum{NotRun: s.NotRun, Partial: s.Partial, NothingToJudge: s.NothingToJudge, Gaps: s.Gaps, AcceptedGaps: s.AcceptedGaps},
		Gate:     jsonGate{FailOn: gateName(s.Gate.FailOn), Failed: s.Gate.Failed, Findings: s.Gate.Count},
		ExitCode: s.ExitCode(),
	}
}

func checkJSON(m check.Meta) jsonCheck {
	c := jsonCheck{ID: m.ID, Title: m.Title, Severity: m.Severity.String(), Category: string(m.Category),
		Rationale: m.Rationale, Fix: m.Fix, References: make([]jsonReference, 0, len(m.Refs))}
	for _, ref := range m.Refs {
		c.References = append(c.References, jsonReference(ref))
	}
	return c
}

func findingJSON(f *check.Finding) jsonFinding {
	src := f.Source
	j := jsonFinding{
		Check: f.CheckID, Title: f.Title, Severity: f.Severity.String(), Category: string(f.Category),
		Object: jsonObject{APIVersion: f.Object.APIVersion, Kind: f.Object.Kind, Namespace: f.Object.Namespace,
			Name: f.Object.Name, Ref: f.Object.String()},
		Source: jsonSource{File: src.File, Line: src.Line, Template: src.Template,
			ListItem: src.ListItem, Cluster: src.Cluster, ResourceVersion: src.ResourceVersion},
		Path: f.Path, Image: f.Image, Message: f.Message, Fix: f.Fix,
		Suppressed:  f.Suppressed(),
		Fingerprint: f.Fingerprint(),
	}
	if src.File != "" {
		doc := src.Document
		j.Source.Document = &doc
	}
	if file := FindingFile(f); file != "" {
		j.Location = &jsonLocation{File: file, Line: f.Position.Line, Column: f.Position.Column, Rendered: rendered(src)}
	}
	if s := f.Suppression; s != nil {
		j.Suppression = &jsonSuppression{Reason: s.Reason, Expires: s.Expires, Origin: s.Origin, Expired: s.Expired}
	}
	j.Vendored = f.Vendored
	for i := range f.Elsewhere {
		e := findingJSON(&f.Elsewhere[i])
		p := jsonPlace{Object: e.Object, Source: e.Source, Location: e.Location, Folded: e.Folded}
		if e.Message != j.Message {
			p.Message = e.Message
		}
		j.Elsewhere = append(j.Elsewhere, p)
	}
	for i := range f.Folded {
		j.Folded = append(j.Folded, findingJSON(&f.Folded[i]))
	}
	return j
}
