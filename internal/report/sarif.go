package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/scan"
)

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json" // as CodeQL writes it
	// srcRoot is the uriBaseId of artifact URIs relative to Options.Root;
	// GitHub code scanning resolves it to the repository checkout.
	srcRoot = "%SRCROOT%"
	// fingerprintKey versions the partial fingerprint: change the key, not
	// the value's recipe, so old alerts are not matched to a new meaning.
	fingerprintKey = "kubeward/v1"
	// sarifListPaths bounds the skipped paths named in one notification's text.
	sarifListPaths = 10
)

// securitySeverity maps severities to the CVSS-like score GitHub code
// scanning reads from a rule's properties: critical above 9.0, high from
// 7.0, medium from 4.0, low below.
var securitySeverity = map[check.Severity]string{
	check.Critical: "9.5", check.High: "8.0", check.Medium: "5.5", check.Low: "3.0", check.Info: "1.0",
}

var semverPattern = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// semanticVersion is the version without its "v" when it is a semantic
// version (SARIF's semanticVersion), else "".
func semanticVersion(v string) string {
	if m := semverPattern.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// sarifLevel maps a severity to a SARIF level: high and critical are errors,
// medium a warning, low and info notes.
func sarifLevel(s check.Severity) string {
	switch {
	case s >= check.High:
		return "error"
	case s == check.Medium:
		return "warning"
	default:
		return "note"
	}
}

// The log has one run, written field by field with its results one at a
// time (see SARIF): tool, automationDetails, invocations,
// originalUriBaseIds, results, columnKind.
type sarifRun struct {
	Tool               sarifTool
	Invocations        []sarifInvocation
	OriginalURIBaseIDs map[string]sarifArtifactLoc
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifHelp       `json:"help"`
	HelpURI              string          `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Severity         string   `json:"severity"`
}

type sarifInvocation struct {
	ExecutionSuccessful            bool                `json:"executionSuccessful"`
	ExitCode                       int                 `json:"exitCode"`
	ToolExecutionNotifications     []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	ToolConfigurationNotifications []sarifNotification `json:"toolConfigurationNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string          `json:"level"`
	Message        sarifText       `json:"message"`
	Locations      []sarifLocation `json:"locations,omitempty"`
	AssociatedRule *sarifRuleRef   `json:"associatedRule,omitempty"`
	Properties     map[string]any  `json:"properties,omitempty"`
}

type sarifRuleRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	RelatedLocations    []sarifLocation    `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifResultProps   `json:"properties"`
}

type sarifResultProps struct {
	Severity string `json:"severity"`
	Object   string `json:"object"`
	Path     string `json:"path,omitempty"`
	Template string `json:"template,omitempty"`
	Cluster  string `json:"cluster,omitempty"`
	Vendored bool   `json:"vendored,omitempty"`
	// Folded are the fingerprints of the findings of other checks this
	// result speaks for (check.Finding.Folded), by check id.
	Folded []sarifFolded `json:"folded,omitempty"`
}

type sarifFolded struct {
	Check       string `json:"check"`
	Fingerprint string `json:"fingerprint"`
}

type sarifLocation struct {
	ID               int            `json:"id,omitempty"` // related locations only, from 1
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// SARIF writes a SARIF 2.1.0 log for GitHub code scanning and other SARIF
// viewers: one rule per check, one result per finding (suppressed ones with
// a suppression), input problems and skipped inputs as tool execution
// notifications, and checks that could not run as configuration
// notifications.
func SARIF(w io.Writer, res *scan.Result, o Options) error {
	if res == nil {
		return errors.New("report: no scan result")
	}
	run, results, n, err := buildSARIF(res, o)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	log := newObjectWriter(bw, "")
	log.field("$schema", sarifSchema)
	log.field("version", sarifVersion)
	log.key("runs")
	log.arrayValue(1, func(int) {
		log.nested(log.indent+"    ", func(r *objectWriter) {
			r.field("tool", run.Tool)
			if o.SARIFCategory != "" {
				r.field("automationDetails", map[string]string{"id": o.SARIFCategory})
			}
			r.field("invocations", run.Invocations)
			if run.OriginalURIBaseIDs != nil {
				r.field("originalUriBaseIds", run.OriginalURIBaseIDs)
			}
			r.array("results", n, results)
			r.field("columnKind", "unicodeCodePoints") // YAML columns count characters
		})
	})
	log.close()
	log.write("\n")
	if log.err != nil {
		return log.err
	}
	return bw.Flush()
}

// gapText says what a gap did, in one message.
func gapText(g scan.Gap) string {
	var parts []string
	for i, ids := range gapChecks(g) {
		if len(ids) > 0 {
			parts = append(parts, fmt.Sprintf("%s (%s)", affected(i, len(ids)), strings.Join(ids, ", ")))
		}
	}
	text := fmt.Sprintf("coverage gap %s: %s; %s", g.Title(), g.Reason, strings.Join(parts, "; "))
	if g.Grant != nil {
		text += "; grant: " + g.Grant.String()
	}
	if a := g.Accepted; a != nil {
		text += fmt.Sprintf("; accepted (%s): %s", a.Origin, a.Reason)
	}
	return text
}

// buildSARIF makes the run's parts, and a function making the i-th of n
// results.
func buildSARIF(res *scan.Result, o Options) (*sarifRun, func(i int) any, int, error) {
	loc, err := newLocator(o)
	if err != nil {
		return nil, nil, 0, err
	}
	metas := rules(res, o)
	index := make(map[string]int, len(metas))
	run := &sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "kubeward", Version: o.ToolVersion, InformationURI: InformationURI,
			SemanticVersion: semanticVersion(o.ToolVersion), Rules: make([]sarifRule, 0, len(metas))}},
	}
	for i, m := range metas {
		index[m.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(m))
	}
	if loc.rootURI != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{srcRoot: {URI: loc.rootURI}}
	}
	// Input errors mean the run did not read all it was given: SARIF calls
	// that an unsuccessful execution, and the exit code is the run's.
	sum := Summarize(res, o)
	inv := sarifInvocation{ExecutionSuccessful: sum.Errors == 0, ExitCode: sum.ExitCode()}
	for _, p := range res.Problems {
		n := sarifNotification{Level: "warning", Message: sarifMessage(problemText(p))}
		if p.Level == diag.Error {
			n.Level = "error"
		}
		if p.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: loc.physical(p.File, p.Line, p.Column)}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	// Skipped inputs are summed up by reason: a repository can hold thousands
	// of files that are not manifests. JSON lists each.
	for _, g := range skippedByReason(res.Skipped) {
		list := g.paths
		if len(list) > sarifListPaths {
			list = list[:sarifListPaths]
		}
		text := fmt.Sprintf("%s not scanned (%s): %s", plural(len(g.paths), "input", "inputs"), g.reason, strings.Join(list, ", "))
		if more := len(g.paths) - len(list); more > 0 {
			text += fmt.Sprintf(" and %d more", more)
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:      "note",
			Message:    sarifMessage(text),
			Properties: map[string]any{"kind": "skipped", "reason": g.reason, "paths": g.paths},
		})
	}
	// One notification per coverage gap (a cause), with the checks it
	// affects in its properties; an accepted gap is a note.
	for _, g := range res.Coverage {
		n := sarifNotification{Level: "warning", Message: sarifMessage(gapText(g)), Properties: map[string]any{
			"kind": "coverage", "gap": g.ID, "notRun": nonNil(g.NotRun), "partial": nonNil(g.Partial),
			"nothingToJudge": nonNil(g.NothingToJudge), "objects": nonNil(g.Objects),
		}}
		if g.Namespace != "" {
			n.Properties["namespace"] = g.Namespace
		}
		if g.Grant != nil {
			n.Properties["grant"] = g.Grant.String()
		}
		if a := g.Accepted; a != nil {
			n.Level = "note"
			n.Properties["accepted"] = map[string]string{"reason": a.Reason, "origin": a.Origin}
		}
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	var kept []int // with SARIFOmitSuppressed, the findings written
	if o.SARIFOmitSuppressed {
		for i := range res.Findings {
			if !res.Findings[i].Suppressed() {
				kept = append(kept, i)
			}
		}
	}
	result := func(i int) any {
		if kept != nil {
			i = kept[i]
		}
		f := &res.Findings[i]
		return sarifResultOf(f, index[f.CheckID], metas[index[f.CheckID]].Fix, loc, o)
	}
	n := len(res.Findings)
	if o.SARIFOmitSuppressed {
		n = len(kept)
	}
	return run, result, n, nil
}

// sarifMessage makes a message object. SARIF reads "[text](target)" in a
// message as a link; text from manifests that holds such a sequence has its
// brackets escaped, as SARIF 2.1.0 section 3.11.6 asks.
func sarifMessage(text string) sarifText {
	if strings.Contains(text, "](") {
		text = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(text)
	}
	return sarifText{Text: text}
}

func problemText(p diag.Problem) string {
	msg := p.Message
	if p.Path != "" {
		msg = p.Path + ": " + msg
	}
	if p.Object != "" {
		msg = p.Object + ": " + msg
	}
	return msg
}

func sarifRuleOf(m check.Meta) sarifRule {
	short := m.Title
	full := m.Rationale
	if full == "" {
		full = short
	}
	var text, md strings.Builder
	text.WriteString(full)
	md.WriteString(full)
	if m.Fix != "" {
		text.WriteString("\n\nFix: " + m.Fix)
		md.WriteString("\n\n**Fix:** " + m.Fix)
	}
	if len(m.Refs) > 0 {
		text.WriteString("\n\nReferences:")
		md.WriteString("\n\n**References:**\n")
		for _, r := range m.Refs {
			text.WriteString("\n- " + r.String())
			if r.URL != "" {
				text.WriteString(" " + r.URL)
				md.WriteString("\n- [" + mdEscape(r.String()) + "](" + r.URL + ")")
			} else {
				md.WriteString("\n- " + mdEscape(r.String()))
			}
		}
	}
	tags := []string{"security", "kubernetes"}
	if m.Category != "" {
		tags = append(tags, string(m.Category))
	}
	level := sarifLevel(m.Severity)
	sev := securitySeverity[m.Severity]
	if sev == "" {
		sev = securitySeverity[check.Info]
	}
	return sarifRule{
		ID:                   m.ID,
		Name:                 ruleName(m.ID),
		ShortDescription:     sarifText{Text: short},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifHelp{Text: text.String(), Markdown: md.String()},
		DefaultConfiguration: sarifRuleConfig{Level: level},
		Properties:           sarifRuleProps{Tags: tags, SecuritySeverity: sev, Severity: m.Severity.String()},
	}
}

// ruleName turns a check id into the identifier-like name SARIF expects:
// read-only-root-filesystem becomes ReadOnlyRootFilesystem.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `&lt;`)
	return r.Replace(s)
}

func sarifResultOf(f *check.Finding, ruleIndex int, ruleFix string, loc *locator, o Options) sarifResult {
	var msg strings.Builder
	msg.WriteString(f.Object.String() + ": " + f.Message)
	if f.Path != "" {
		msg.WriteString(" (at " + f.Path + ")")
	}
	if n := len(f.Elsewhere); n > 0 {
		msg.WriteString("\nAlso in " + plural(n, "other place", "other places") + " (related locations).")
	}
	if f.Vendored && !o.GateVendored {
		msg.WriteString("\nIn vendored code: outside the gate.")
	}
	if f.Fix != "" && f.Fix != ruleFix {
		msg.WriteString("\nFix: " + f.Fix)
	}
	if rendered(f.Source) {
		msg.WriteString("\nRendered from " + f.Source.File + "; the line is in the rendered template.")
	}
	r := sarifResult{
		RuleID:              f.CheckID,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifMessage(msg.String()),
		PartialFingerprints: map[string]string{fingerprintKey: f.Fingerprint()},
		Properties: sarifResultProps{Severity: f.Severity.String(), Object: f.Object.String(), Path: f.Path,
			Template: f.Source.Template, Cluster: f.Source.Cluster},
	}
	if f.Vendored && !o.GateVendored {
		r.Level = "note" // not the user's code to fix: no alert at the code's severity
		r.Properties.Vendored = true
	}
	r.Locations = []sarifLocation{sarifWhere(f, loc)}
	for i := range f.Elsewhere {
		rl := sarifWhere(&f.Elsewhere[i], loc)
		rl.ID = len(r.RelatedLocations) + 1
		rl.Message = &sarifText{Text: "the same finding in another place: " + f.Elsewhere[i].Object.String()}
		r.RelatedLocations = append(r.RelatedLocations, rl)
	}
	for i := range f.Folded {
		ff := &f.Folded[i]
		r.Properties.Folded = append(r.Properties.Folded, sarifFolded{Check: ff.CheckID, Fingerprint: ff.Fingerprint()})
		if ff.Position != f.Position {
			rl := sarifWhere(ff, loc)
			rl.ID = len(r.RelatedLocations) + 1
			rl.Message = &sarifText{Text: ff.CheckID + ": " + ff.Message}
			r.RelatedLocations = append(r.RelatedLocations, rl)
		}
	}
	if f.Suppressed() {
		s := f.Suppression
		kind := "external"
		if strings.HasPrefix(s.Origin, "annotation ") {
			kind = "inSource"
		}
		just := s.Reason
		if s.Expires != "" {
			just += " (until " + s.Expires + ")"
		}
		r.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: just + " [" + s.Origin + "]"}}
	}
	return r
}

// sarifWhere is a finding's location: its file and region, or for a live
// object, which has no file, its name, so viewers can still show where.
func sarifWhere(f *check.Finding, loc *locator) sarifLocation {
	if file := FindingFile(f); file != "" {
		return sarifLocation{PhysicalLocation: loc.physical(file, f.Position.Line, f.Position.Column)}
	}
	fqn := f.Object.String()
	if f.Source.Cluster != "" {
		fqn = f.Source.Cluster + "/" + fqn
	}
	return sarifLocation{LogicalLocations: []sarifLogical{{Name: f.Object.Name, FullyQualifiedName: fqn, Kind: "resource"}}}
}

// locator turns result file names into SARIF artifact locations.
type locator struct {
	base    string // absolute directory relative file names are relative to; "" if not needed
	root    string // absolute %SRCROOT%; "" means file names are used as they are
	rootURI string
}

func newLocator(o Options) (*locator, error) {
	l := &locator{}
	if o.Root == "" && o.BaseDir == "" {
		return l, nil // names relative to the current directory, which is the root
	}
	base := o.BaseDir
	if base == "" || !filepath.IsAbs(base) {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("report: resolve the SARIF root: %w", err)
		}
		base = filepath.Join(wd, base)
	}
	root := o.Root
	if root == "" {
		root = base
	} else if !filepath.IsAbs(root) {
		root = filepath.Join(base, root)
	}
	l.base, l.root = filepath.Clean(base), filepath.Clean(root)
	l.rootURI = fileURI(l.root) + "/"
	if strings.HasSuffix(l.rootURI, "//") {
		l.rootURI = l.rootURI[:len(l.rootURI)-1]
	}
	return l, nil
}

func (l *locator) physical(file string, line, col int) *sarifPhysical {
	p := &sarifPhysical{ArtifactLocation: l.artifact(file)}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line, StartColumn: col}
	}
	return p
}

// artifact makes a relative URI under %SRCROOT% where it can, and an
// absolute file URI for a file outside the root.
func (l *locator) artifact(file string) sarifArtifactLoc {
	if file == "-" {
		return sarifArtifactLoc{URI: "stdin"}
	}
	native := filepath.FromSlash(file)
	if l.root == "" {
		if !filepath.IsAbs(native) && !escapes(file) {
			return sarifArtifactLoc{URI: relURI(file), URIBaseID: srcRoot}
		}
		abs, err := filepath.Abs(native)
		if err != nil {
			abs = native
		}
		return sarifArtifactLoc{URI: fileURI(abs)}
	}
	abs := native
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(l.base, abs)
	}
	rel, err := filepath.Rel(l.root, abs)
	if err != nil || escapes(filepath.ToSlash(rel)) {
		return sarifArtifactLoc{URI: fileURI(abs)}
	}
	return sarifArtifactLoc{URI: relURI(filepath.ToSlash(rel)), URIBaseID: srcRoot}
}

func escapes(slashPath string) bool {
	return slashPath == ".." || strings.HasPrefix(slashPath, "../")
}

// relURI escapes a relative slash path as a URI reference.
func relURI(p string) string {
	p = strings.TrimPrefix(filepathClean(p), "./")
	u := (&url.URL{Path: p}).EscapedPath()
	if first, _, _ := strings.Cut(u, "/"); strings.Contains(first, ":") {
		u = "./" + u // a colon in the first segment would read as a scheme
	}
	return u
}

func filepathClean(p string) string { return filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) }

func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/x on Windows
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
