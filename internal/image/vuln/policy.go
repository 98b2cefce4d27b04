package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
)

// Config is the images.vulnerabilities section of the configuration file
// (documented in docs/images.md).
type Config struct {
	// FailOn is the lowest rating that fails: low, medium, high (the
	// default) or critical.
	FailOn string `yaml:"failOn"`
	// UnratedSeverity is the rating given to an advisory that neither it
	// nor any alias in the database rates (default medium).
	UnratedSeverity string `yaml:"unratedSeverity"`
	// IgnoreUnfixed passes advisories for which no fixed version is
	// published: nothing can be upgraded yet.
	IgnoreUnfixed bool `yaml:"ignoreUnfixed"`
	// VEX lists OpenVEX documents; a not_affected or fixed statement about
	// an image (or one of its packages) and an advisory passes it.
	VEX []string `yaml:"vex"`
	// Exceptions pass single advisories, with a reason and an expiry.
	Exceptions []Exception `yaml:"exceptions"`
	// DB says where the OSV database is kept and fetched from.
	DB DBConfig `yaml:"db"`
}

// DBConfig locates the OSV database (internal/image/vulndb).
type DBConfig struct {
	// Dir is the database directory; default the user cache directory's
	// kubeward/osv. --vuln-db overrides it.
	Dir string `yaml:"dir"`
	// RemoteHost serves the per-ecosystem archives as <host>/<ecosystem>/all.zip
	// (default https://osv-vulnerabilities.storage.googleapis.com; a
	// mirror, or file:///path for a local copy of the bucket).
	RemoteHost string `yaml:"remoteHost"`
	// Ecosystems are fetched by `kubeward images db update` when it is not
	// given --ecosystem.
	Ecosystems []string `yaml:"ecosystems"`
}

// Exception passes one advisory. ID matches the advisory's id or any alias
// (a CVE id covers every distribution's advisory of that CVE); Image and
// Package narrow it (globs on the image's registry/repository and on the
// package name).
type Exception struct {
	ID      string `yaml:"id"`
	Image   string `yaml:"image"`
	Package string `yaml:"package"`
	Reason  string `yaml:"reason"`
	Expires string `yaml:"expires"`
}

const dateLayout = "2006-01-02"

// maxVEXBytes bounds one OpenVEX document: real ones are kilobytes.
const maxVEXBytes = 16 << 20

var errTooLarge = fmt.Errorf("larger than the limit: a VEX document is at most %d MiB", maxVEXBytes>>20)

// IsZero reports whether the section is absent or empty.
func (c *Config) IsZero() bool {
	return c.FailOn == "" && c.UnratedSeverity == "" && !c.IgnoreUnfixed && len(c.VEX) == 0 &&
		len(c.Exceptions) == 0 && c.DB.Dir == "" && c.DB.RemoteHost == "" && len(c.DB.Ecosystems) == 0
}

// Validate reports settings that cannot be applied.
func (c *Config) Validate() error {
	for _, s := range []struct{ name, v string }{{"failOn", c.FailOn}, {"unratedSeverity", c.UnratedSeverity}} {
		if s.v == "" {
			continue
		}
		if sev, err := ParseSeverity(s.v); err != nil || sev == Unrated {
			return fmt.Errorf("images.vulnerabilities.%s: %q is not low, medium, high or critical", s.name, s.v)
		}
	}
	for i, p := range c.VEX {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("images.vulnerabilities.vex[%d]: empty path", i)
		}
	}
	for i := range c.Exceptions {
		if err := c.Exceptions[i].validate(); err != nil {
			return fmt.Errorf("images.vulnerabilities.exceptions[%d]: %w", i, err)
		}
	}
	return nil
}

func (e *Exception) validate() error {
	if strings.TrimSpace(e.ID) == "" {
		return fmt.Errorf("an exception needs the advisory's id (or a CVE alias)")
	}
	if strings.TrimSpace(e.Reason) == "" {
		return fmt.Errorf("the exception of %s needs a reason", e.ID)
	}
	if e.Expires != "" {
		if _, err := time.Parse(dateLayout, e.Expires); err != nil {
			return fmt.Errorf("the exception of %s: expires %q is not a date like 2027-01-31", e.ID, e.Expires)
		}
	}
	for _, g := range []string{e.Image, e.Package} {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("the exception of %s: bad pattern %q", e.ID, g)
		}
	}
	return nil
}

// Policy decides which findings fail. The zero value is not usable; build
// it with Config.Policy or DefaultPolicy.
type Policy struct {
	FailOn        Severity
	Unrated       Severity
	IgnoreUnfixed bool
	Exceptions    []Exception
	VEX           []Document
	// Now is the day exceptions are judged on (they expire at the end of
	// their expiry date, UTC); zero means today.
	Now time.Time
}

// Document is a loaded OpenVEX document and where it came from.
type Document struct {
	Name string
	Doc  *vex.VEX
}

// DefaultPolicy is the policy without configuration: high and critical
// advisories fail, unrated ones count as medium, unfixed ones fail too.
func DefaultPolicy() *Policy { return &Policy{FailOn: High, Unrated: Medium} }

// Policy builds the policy, reading the VEX documents; relative paths are
// read from baseDir (the configuration file's directory).
func (c *Config) Policy(baseDir string) (*Policy, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := DefaultPolicy()
	if c.FailOn != "" {
		p.FailOn, _ = ParseSeverity(c.FailOn)
	}
	if c.UnratedSeverity != "" {
		p.Unrated, _ = ParseSeverity(c.UnratedSeverity)
	}
	p.IgnoreUnfixed = c.IgnoreUnfixed
	p.Exceptions = c.Exceptions
	for _, name := range c.VEX {
		if !filepath.IsAbs(name) && baseDir != "" {
			name = filepath.Join(baseDir, name)
		}
		d, err := LoadVEX(name)
		if err != nil {
			return nil, err
		}
		p.VEX = append(p.VEX, d)
	}
	return p, nil
}

// LoadVEX reads an OpenVEX document of a version go-vex reads (v0.2.0;
// v0.0.1 by its bare or versioned context) and refuses one whose statements
// cannot be applied as written: a document that silently matched nothing
// would fail findings its author meant to pass, or pass nothing they
// meant to keep.
func LoadVEX(name string) (Document, error) {
	data, err := readVEX(name)
	if err == nil {
		var d *vex.VEX
		if d, err = parseVEX(data); err == nil {
			if err = checkStatements(d); err == nil {
				return Document{Name: name, Doc: d}, nil
			}
		}
	}
	return Document{}, fmt.Errorf("VEX document %s: %w", name, err)
}

// readVEX reads a regular file of at most maxVEXBytes, bounding the read
// itself: the file may grow after it is checked.
func readVEX(name string) ([]byte, error) {
	st, err := os.Stat(name) // before opening: opening a FIFO blocks
	if err != nil {
		return nil, withoutPath(err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > maxVEXBytes {
		return nil, errTooLarge
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, withoutPath(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVEXBytes+1))
	if err != nil {
		return nil, withoutPath(err)
	}
	if len(data) > maxVEXBytes {
		return nil, errTooLarge
	}
	return data, nil
}

// withoutPath drops the path from an os error: LoadVEX names the file.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseVEX decodes an OpenVEX document with go-vex, choosing the version by
// its @context as vex.Open does.
func parseVEX(data []byte) (*vex.VEX, error) {
	var head struct {
		Context string `json:"@context"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a JSON document (OpenVEX is JSON): %w", err)
	}
	switch {
	case head.Context == vex.ContextLocator():
		d, err := vex.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("OpenVEX %s: %w", vex.SpecVersion, err)
		}
		return d, nil
	case strings.HasPrefix(head.Context, vex.Context):
		d, err := parseLegacyVEX(data)
		if err != nil {
			return nil, fmt.Errorf("@context %s: %w (go-vex reads this context as OpenVEX v0.0.1; a v%s document's context is %s)",
				head.Context, err, vex.SpecVersion, vex.ContextLocator())
		}
		return d, nil
	case bytes.Contains(data, []byte(`"csaf_version"`)):
		return nil, errors.New("a CSAF document: kubeward reads OpenVEX documents (go-vex's CSAF conversion names products by CSAF product ids, which name no image or package)")
	}
	return nil, fmt.Errorf("not an OpenVEX document: @context %q is not %s", head.Context, vex.ContextLocator())
}

// parseLegacyVEX hands a document of an earlier OpenVEX version to go-vex,
// whose converters are reached only through vex.Open(path); the bytes,
// already read under the bound, reach it through a pipe.
func parseLegacyVEX(data []byte) (*vex.VEX, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = w.Write(data) // fails only when the reader gave up: its error is the one reported
		_ = w.Close()
	}()
	d, err := vex.Open(fmt.Sprintf("/dev/fd/%d", r.Fd()))
	_ = r.Close() // unblocks a writer whose reader gave up
	<-wrote
	return d, err
}

// checkStatements refuses statements that cannot be applied as written:
// the specification requires a vulnerability, a known status, a product and
// a timestamp (inherited from the document at most: a standalone file has
// no encapsulating document to give products), and a justification or an
// impact statement for not_affected. Fields that do not change the
// decision (an affected statement's missing action statement) are not
// checked.
func checkStatements(d *vex.VEX) error {
	if len(d.Statements) == 0 {
		return errors.New("no statements (is it OpenVEX?)")
	}
	for i := range d.Statements {
		st := &d.Statements[i]
		if err := checkStatement(d, st); err != nil {
			if st.Vulnerability.Name != "" {
				err = fmt.Errorf("%s: %w", st.Vulnerability.Name, err)
			}
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	return nil
}

func checkStatement(d *vex.VEX, st *vex.Statement) error {
	v := st.Vulnerability
	switch {
	case v.Name == "" && v.ID == "" && len(v.Aliases) == 0:
		return errors.New("names no vulnerability")
	case !st.Status.Valid():
		return fmt.Errorf("status %q is not one of %s", st.Status, strings.Join(vex.Statuses(), ", "))
	case st.Justification != "" && !st.Justification.Valid():
		return fmt.Errorf("justification %q is not one of %s", st.Justification, strings.Join(vex.Justifications(), ", "))
	case st.Status == vex.StatusNotAffected && st.Justification == "" && st.ImpactStatement == "":
		return errors.New("a not_affected statement needs a justification or an impact statement")
	case len(st.Products) == 0:
		return errors.New("names no product")
	case statementTime(d, st).IsZero():
		return errors.New("has no timestamp, and neither has the document")
	}
	for i, p := range st.Products {
		if !identified(&p.Component) {
			return fmt.Errorf("product %d has no @id, identifiers or hashes", i+1)
		}
		for j := range p.Subcomponents {
			if !identified(&p.Subcomponents[j].Component) {
				return fmt.Errorf("subcomponent %d of product %d has no @id, identifiers or hashes", j+1, i+1)
			}
		}
	}
	return nil
}

func identified(c *vex.Component) bool {
	return c.ID != "" || len(c.Identifiers) > 0 || len(c.Hashes) > 0
}

// Image identifies the image findings belong to, for VEX products and
// exception globs.
type Image struct {
	// Reference is the reference as written (nginx:1.27).
	Reference string
	// Repository is the normalised registry/repository (docker.io/library/nginx).
	Repository string
	// Digest is the manifest digest (sha256:...), when known.
	Digest string
	// Architecture is the architecture of the image judged (amd64), and
	// PlatformDigest its manifest's digest when Digest names a
	// multi-platform index; empty when not known.
	Architecture, PlatformDigest string
}

// Verdict is the policy's decision on one finding.
type Verdict struct {
	Finding
	// Rating is the severity the decision used (Unrated replaced by the
	// policy's UnratedSeverity).
	Rating Severity
	Fails  bool
	// Passed says why a finding does not fail; Note adds to a failing one
	// (an expired exception, a VEX statement that the image is affected).
	Passed string
	Note   string
	// VEX is the effective OpenVEX statement about the finding (nil when
	// none speaks of it) and VEXDocument the document it is in.
	VEX         *vex.Statement `json:"-"`
	VEXDocument string         `json:"-"`
}

// Judge decides each finding of one image.
func (p *Policy) Judge(img Image, fs []Finding) []Verdict {
	out := make([]Verdict, 0, len(fs))
	for i := range fs {
		out = append(out, p.judge(img, &fs[i]))
	}
	return out
}

func (p *Policy) judge(img Image, f *Finding) Verdict {
	v := Verdict{Finding: *f, Rating: f.Severity}
	if v.Rating == Unrated {
		v.Rating = p.Unrated
	}
	if st, doc := p.vexStatement(img, f); st != nil {
		v.VEX, v.VEXDocument = st, doc
		why := statementReasons(st)
		switch st.Status {
		case vex.StatusNotAffected, vex.StatusFixed:
			v.Passed = "VEX " + string(st.Status)
			if why != "" {
				v.Passed += " (" + why + ")"
			}
			v.Passed += " in " + doc
			return v
		default: // affected, under_investigation: the finding stands
			v.Note = "VEX " + string(st.Status) + " in " + doc
			if why != "" {
				v.Note += ": " + why
			}
		}
	}
	if e := p.exception(img, f); e != nil {
		if !expired(e.Expires, p.now()) {
			v.Passed = "exception: " + e.Reason
			if e.Expires != "" {
				v.Passed += " (until " + e.Expires + ")"
			}
			return v
		}
		v.Note = joinNotes(v.Note, fmt.Sprintf("exception expired on %s: %s", e.Expires, e.Reason))
	}
	switch {
	case v.Rating < p.FailOn:
		v.Passed = fmt.Sprintf("rated %s, below %s", v.Rating, p.FailOn)
	case f.Fixed == "" && p.IgnoreUnfixed:
		v.Passed = "no fixed version is published (ignoreUnfixed)"
	default:
		v.Fails = true
	}
	return v
}

// statementReasons are what the statement says to do or why.
func statementReasons(st *vex.Statement) string {
	var why []string
	for _, s := range []string{string(st.Justification), st.ImpactStatement, st.ActionStatement} {
		if s != "" {
			why = append(why, s)
		}
	}
	return strings.Join(why, ": ")
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (p *Policy) now() time.Time {
	if p.Now.IsZero() {
		return time.Now().UTC()
	}
	return p.Now
}

func expired(expires string, now time.Time) bool {
	if expires == "" {
		return false
	}
	t, err := time.Parse(dateLayout, expires)
	return err != nil || !now.Before(t.AddDate(0, 0, 1))
}

// exception is the first exception matching the finding.
func (p *Policy) exception(img Image, f *Finding) *Exception {
	glob := func(pattern, s string) bool {
		ok, _ := path.Match(pattern, s)
		return ok
	}
	for i := range p.Exceptions {
		e := &p.Exceptions[i]
		if !containsFold(f.IDs(), e.ID) {
			continue
		}
		if e.Image != "" && !glob(e.Image, img.Repository) && !glob(e.Image, img.Reference) {
			continue
		}
		if e.Package != "" && !glob(e.Package, f.Package) && !glob(e.Package, f.Binary) {
			continue
		}
		return e
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
