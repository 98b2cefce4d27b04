// Package vulndb matches an image's packages against the OSV database.
//
// The database is a directory of the per-ecosystem archives osv.dev
// publishes, in the bucket's own layout, each with an index kubeward builds
// when it fetches the archive:
//
//	<dir>/Debian/all.zip            the archive as published
//	<dir>/Debian/kubeward.index     package name -> advisories in all.zip
//	<dir>/Debian/kubeward.ratings   advisory id and aliases -> rating
//	<dir>/Debian/kubeward.json      where and when it was fetched
//
// Update fetches archives; scans only read them (Open never downloads).
// Whether a package version is affected is decided by osv-scalibr's local
// matcher (enricher/vulnmatch/osvlocal.VulnerabilitiesAffectingPackage),
// with each ecosystem's version rules (dpkg epochs, apk revisions, semver,
// Go pseudo-versions) from osv-scalibr's semantic package. osvlocal's own
// loader reads a whole archive into memory and decodes every advisory of an
// ecosystem on each scan; the index lets a scan decode only the advisories
// that name the image's packages.
package vulndb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/osv-scalibr/enricher/vulnmatch/osvlocal"
	"github.com/google/osv-scalibr/extractor"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	"github.com/google/osv-scalibr/inventory/osvecosystem"
	"github.com/google/osv-scalibr/purl"
	purlecosystem "github.com/google/osv-scalibr/purl/ecosystem"
	"github.com/google/osv-scalibr/semantic"
	"github.com/kubeward/kubeward/internal/image/vuln"
	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DB is an opened database directory. It is safe for concurrent use; each
// ecosystem's index is opened on first use and kept open until Close.
type DB struct {
	dir string

	mu      sync.Mutex
	ecos    map[string]*ecoIndex
	errs    map[string]error
	ratings []*sortedFile // nil until first needed
}

// Open opens a database directory. It fails when dir is not a directory;
// an ecosystem without an archive is reported by Match, per image.
func Open(dir string) (*DB, error) {
	st, err := os.Stat(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("vulnerability database %s: %w (fetch it with kubeward images db update)", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("vulnerability database %s: not a directory", dir)
	}
	return &DB{dir: dir, ecos: map[string]*ecoIndex{}, errs: map[string]error{}}, nil
}

// Dir is the database directory.
func (db *DB) Dir() string { return db.dir }

// Close closes the open archives.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, ix := range db.ecos {
		ix.close()
	}
	for _, r := range db.ratings {
		r.f.Close()
	}
	db.ecos, db.ratings = map[string]*ecoIndex{}, nil
	return nil
}

// ecosystem opens an ecosystem's index, once.
func (db *DB) ecosystem(eco string) (*ecoIndex, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if ix, ok := db.ecos[eco]; ok {
		return ix, nil
	}
	if err, ok := db.errs[eco]; ok {
		return nil, err
	}
	ix, err := openIndex(filepath.Join(db.dir, eco))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = errNoArchive
		}
		db.errs[eco] = err
		return nil, err
	}
	db.ecos[eco] = ix
	return ix, nil
}

var errNoArchive = errors.New("no archive")

// maxProblems bounds the problems kept per match: a hostile image could
// hold thousands of unreadable versions.
const maxProblems = 20

func problem(r *vuln.Report, format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "and more")
	}
}

// candidate is one package to judge, with the names its advisories may
// use.
type candidate struct {
	pkg *extractor.Package
	// eco is the release as advisories write it (Ubuntu:22.04:LTS,
	// Rocky Linux:9); pkgEco the one osvlocal reads from the package
	// (Ubuntu:22.04, Rocky Linux).
	eco, pkgEco osvecosystem.Parsed
	// byRelease is set when osvlocal's comparison of the two cannot tell
	// the entries of the package's release from others (see sameRelease):
	// the advisory is rewritten for it.
	byRelease bool
	// source is the rpm's source package, which SUSE's, openSUSE's and
	// Mageia's advisories name; empty elsewhere.
	source string
	names  map[string]bool
	// version is what the matcher compares: for the Red Hat family, the
	// rpm epoch and version (as osvlocal does).
	version   string
	installed semantic.Version
}

// matchVersion is the version osvlocal compares: Red Hat, AlmaLinux and
// Rocky Linux advisories write rpm epochs, so a package's epoch is put
// before its version there.
func matchVersion(p *extractor.Package, eco osvecosystem.Parsed) string {
	if m, ok := p.Metadata.(*rpmmeta.Metadata); ok && m.Epoch > 0 {
		switch eco.Ecosystem {
		case "Red Hat", "AlmaLinux", "Rocky Linux":
			return strconv.Itoa(m.Epoch) + ":" + p.Version
		}
	}
	return p.Version
}

// newCandidate describes a package for matching: nil (and no error) when
// it has no OSV ecosystem.
func newCandidate(p *extractor.Package) (*candidate, error) {
	pkgEco := p.Ecosystem()
	eco := advisoryEcosystem(p, pkgEco)
	if eco.IsEmpty() || eco.Ecosystem == "GIT" {
		return nil, nil
	}
	version := matchVersion(p, eco)
	installed, err := semantic.Parse(version, eco.String())
	if err != nil || version == "" {
		return nil, fmt.Errorf("%s %q: version %q cannot be compared under %s rules", eco, p.Name, version, eco.Ecosystem)
	}
	c := &candidate{pkg: p, eco: eco, pkgEco: pkgEco, version: version, installed: installed,
		byRelease: eco != pkgEco || eco.Ecosystem == "Red Hat", source: sourceName(p, eco)}
	c.names = names(p, eco, c.source)
	return c, nil
}

// Match looks every package up and reports the advisories that affect
// them. Memory grows with the package list and the
// advisories that name its packages, one advisory decoded at a time.
func (db *DB) Match(ctx context.Context, pkgs []*extractor.Package) (*vuln.Report, error) {
	res := &vuln.Report{Packages: len(pkgs)}
	byEco := map[string][]*candidate{}
	for _, p := range pkgs {
		c, err := newCandidate(p)
		switch {
		case err != nil:
			problem(res, "%v", err)
		case c == nil:
			res.Unidentified++
		default:
			byEco[string(c.eco.Ecosystem)] = append(byEco[string(c.eco.Ecosystem)], c)
		}
	}
	ecos := slices.Sorted(maps.Keys(byEco))
	for _, eco := range ecos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cands := byEco[eco]
		ix, err := db.ecosystem(eco)
		if err != nil {
			if res.Missing == nil {
				res.Missing = map[string]int{}
			}
			res.Missing[eco] += len(cands)
			if !errors.Is(err, errNoArchive) {
				problem(res, "%s: %v", eco, err)
			}
			continue
		}
		if err := db.matchEcosystem(ctx, ix, cands, res); err != nil {
			return nil, fmt.Errorf("%s: %w", eco, err)
		}
		res.Matched += len(cands)
	}
	if err := db.rateUnrated(res.Findings); err != nil {
		problem(res, "ratings: %v", err)
	}
	res.Findings = group(res.Findings)
	vuln.SortFindings(res.Findings)
	return res, nil
}

// matchEcosystem decodes each advisory that names a package once, in
// archive order, and judges every package that it may apply to.
func (db *DB) matchEcosystem(ctx context.Context, ix *ecoIndex, cands []*candidate, res *vuln.Report) error {
	var rd reader
	byEntry := map[entry][]*candidate{}
	looked := map[string][]entry{} // binary packages share source names
	stale := false
	for _, c := range cands {
		if ix.binaries == nil && sourceUnknown(c.pkg) && !stale {
			stale = true
			problem(res, "%s: the database's index predates its map of binary to source packages, so packages of unknown source (a chiselled image's) were looked up by their binary names only (run kubeward images db update)", c.eco.Ecosystem)
		}
		withSources, err := ix.withSources(&rd, c)
		if err != nil {
			return err
		}
		for _, c := range withSources {
			if err := lookUp(ix, &rd, c, looked, byEntry); err != nil {
				return err
			}
		}
	}
	entries := slices.SortedFunc(maps.Keys(byEntry), func(a, b entry) int { return cmp.Compare(a.off, b.off) })
	for i, e := range entries {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, err := rd.read(ix, e)
		if err != nil {
			return err
		}
		v, err := decode(data)
		if err != nil {
			problem(res, "advisory at offset %d: %v", e.off, err)
			continue
		}
		for _, c := range byEntry[e] {
			v := asMatched(v, c)
			hit, err := affects(bySource(v, c), c.pkg)
			if err != nil {
				problem(res, "%v", err)
				continue
			}
			if hit {
				res.Findings = append(res.Findings, finding(v, c))
			}
		}
	}
	return nil
}

// lookUp files the candidate under every advisory that may name it,
// looking each name up once per match.
func lookUp(ix *ecoIndex, rd *reader, c *candidate, looked map[string][]entry, byEntry map[entry][]*candidate) error {
	for name := range c.names {
		es, ok := looked[name]
		if !ok {
			var err error
			if es, err = ix.lookup(rd, name); err != nil {
				return err
			}
			looked[name] = es
		}
		for _, e := range es {
			if !slices.Contains(byEntry[e], c) {
				byEntry[e] = append(byEntry[e], c)
			}
		}
	}
	return nil
}

var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

// decode reads one OSV advisory. Unknown fields and enum values are
// dropped rather than refused (osvlocal refuses them): the schema grows,
// and an advisory should not vanish because of a field newer than the
// bindings that the matcher does not read.
func decode(data []byte) (*osvpb.Vulnerability, error) {
	v := &osvpb.Vulnerability{}
	if err := unmarshal.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// affects asks osvlocal whether the advisory affects the package. The
// matcher panics on a version it cannot parse (semantic.MustParse of the
// advisory's event versions): that is reported against the advisory
// instead of ending the scan.
func affects(v *osvpb.Vulnerability, pkg *extractor.Package) (hit bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			hit, err = false, fmt.Errorf("advisory %s cannot be applied to %s %s: %v", v.GetId(), pkg.Name, pkg.Version, r)
		}
	}()
	return len(osvlocal.VulnerabilitiesAffectingPackage([]*osvpb.Vulnerability{v}, pkg)) > 0, nil
}

var pythonSeparators = regexp.MustCompile(`[-_.]+`)

// pep503 is a PyPI project's normalised name (PEP 503): Foo_Bar, foo.bar
// and foo-bar are one project. osvlocal normalises the package's name but
// compares it with the advisory's as written.
func pep503(name string) string {
	return pythonSeparators.ReplaceAllString(strings.ToLower(name), "-")
}

// advisoryEcosystem is the release as advisories name it, where
// osv-scalibr (extractor/filesystem/os/ecosystem) names it otherwise:
//
//   - an Ubuntu release by its VERSION_ID (Ubuntu:22.04), where Canonical's
//     advisories name a long-term release Ubuntu:22.04:LTS, which
//     osv-scalibr's own table of Ubuntu releases (purl/ecosystem) knows;
//   - Rocky Linux without its release, where Rocky's advisories name the
//     major release (Rocky Linux:9), as AlmaLinux's do and osv-scalibr
//     names AlmaLinux's;
//   - SUSE Linux Enterprise by its VERSION_ID (SUSE:15.5), where SUSE's
//     advisories name products and service packs as PRETTY_NAME does
//     (SUSE:Linux Enterprise Server 15 SP5; the schema's definition of the
//     ecosystem).
func advisoryEcosystem(p *extractor.Package, eco osvecosystem.Parsed) osvecosystem.Parsed {
	switch eco.Ecosystem {
	case "Ubuntu":
		if eco.Suffix == "" || strings.Contains(eco.Suffix, ":") {
			return eco
		}
		lts := purlecosystem.FromPURL(&purl.PackageURL{Type: purl.TypeDebian, Namespace: "ubuntu",
			Qualifiers: purl.QualifiersFromMap(map[string]string{"distro": eco.Suffix})})
		if lts.Ecosystem != eco.Ecosystem || lts.Suffix == "" {
			return eco
		}
		return lts
	case "Rocky Linux":
		if m, ok := p.Metadata.(*rpmmeta.Metadata); ok && eco.Suffix == "" {
			if major, _, _ := strings.Cut(m.OSVersionID, "."); major != "" {
				eco.Suffix = major
			}
		}
	case "SUSE":
		if sp := servicePack(eco.Suffix); sp != "" {
			eco.Suffix = "Linux Enterprise Server " + sp
		}
	}
	return eco
}

// servicePack is a SUSE Linux Enterprise VERSION_ID as SUSE's product
// names write it: 15.5 is "15 SP5", 15 (or 15.0) is "15".
func servicePack(versionID string) string {
	major, minor, _ := strings.Cut(versionID, ".")
	if major == "" || strings.ContainsFunc(versionID, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) {
		return ""
	}
	if minor == "" || minor == "0" {
		return major
	}
	return major + " SP" + minor
}

// sameRelease reports whether an advisory entry's ecosystem names the
// package's release (rel, as advisoryEcosystem spells it), where
// osvlocal's comparison of the ecosystems would not tell:
//
//   - Red Hat keys entries by product stream and repository
//     (Red Hat:enterprise_linux:9::appstream, ...::baseos, and
//     Red Hat:enterprise_linux:10.0), and an image's os-release CPE names
//     one repository (baseos) while its packages come from several: every
//     repository of the image's product and major release applies, not the
//     EUS/E4S streams (rhel_eus:9.2), whose fixes are other builds;
//   - SUSE keys entries by product, and the packages of an SLE 15 SP5
//     image are those of its modules (SUSE:Linux Enterprise Module for
//     Basesystem 15 SP5) as much as of the server product: every product
//     of the code stream (15 SP5) applies;
//   - elsewhere the release is the suffix, as osv.dev compares it (an entry
//     without one names every release).
func sameRelease(rel, entry osvecosystem.Parsed) bool {
	if entry.Ecosystem != rel.Ecosystem {
		return false
	}
	if rel.Suffix == "" || entry.Suffix == "" {
		return true
	}
	switch rel.Ecosystem {
	case "Red Hat":
		return redHatStream(entry.Suffix) == redHatStream(rel.Suffix)
	case "SUSE":
		sp, ok := strings.CutPrefix(rel.Suffix, "Linux Enterprise Server ")
		return ok && strings.HasPrefix(entry.Suffix, "Linux Enterprise ") && strings.HasSuffix(entry.Suffix, " "+sp)
	}
	return entry.Suffix == rel.Suffix
}

// redHatStream is a Red Hat ecosystem suffix's product and major release:
// enterprise_linux:9::appstream and enterprise_linux:9.4 are
// enterprise_linux:9.
func redHatStream(suffix string) string {
	product, rest, _ := strings.Cut(suffix, ":")
	version, _, _ := strings.Cut(rest, ":")
	major, _, _ := strings.Cut(version, ".")
	return product + ":" + major
}

// sourceName is the name of an rpm's source package
// (openssl-3-3.1.4-150600.5.7.1.src.rpm is openssl-3) in the distributions
// whose advisories name source packages (OSV's SUSE, openSUSE and Mageia
// ecosystems, which list the binary packages beside it): SUSE's security
// data is kept per source package, the same for every binary built from
// it.
func sourceName(p *extractor.Package, eco osvecosystem.Parsed) string {
	m, ok := p.Metadata.(*rpmmeta.Metadata)
	if !ok {
		return ""
	}
	switch eco.Ecosystem {
	case "SUSE", "openSUSE", "Mageia":
	default:
		return ""
	}
	nvr, ok := strings.CutSuffix(m.SourceRPM, ".src.rpm")
	if !ok {
		nvr, ok = strings.CutSuffix(m.SourceRPM, ".nosrc.rpm")
	}
	if !ok {
		return ""
	}
	// name-version-release: neither version nor release holds a dash.
	i := strings.LastIndexByte(nvr, '-')
	if i <= 0 {
		return ""
	}
	j := strings.LastIndexByte(nvr[:i], '-')
	if j <= 0 {
		return ""
	}
	return nvr[:j]
}

// asMatched is the advisory as osvlocal must read it to decide as osv.dev
// does: its PyPI names normalised (PEP 503); the entries of the package's
// release written as osv-scalibr names the package's ecosystem
// (Ubuntu:22.04:LTS as Ubuntu:22.04, Rocky Linux:9 as Rocky Linux) and the
// entries of the distribution's other releases dropped, where osvlocal's
// comparison would not tell them apart (see sameRelease); and without GIT
// ranges, which say nothing of a package version, and at which osvlocal
// stops reading an entry's ranges (so PYSEC's GIT-then-ECOSYSTEM ranges
// would match only through their versions list). The advisory is copied
// when an entry changes: it is shared by every candidate.
func asMatched(v *osvpb.Vulnerability, c *candidate) *osvpb.Vulnerability {
	var out *osvpb.Vulnerability
	dropped := false
	for i, a := range v.GetAffected() {
		if a.GetPackage() == nil {
			continue // names no package: osvlocal skips it too
		}
		name, eco := a.GetPackage().GetName(), a.GetPackage().GetEcosystem()
		ae, err := osvecosystem.Parse(eco)
		if err != nil {
			continue
		}
		if ae.Ecosystem == "PyPI" {
			name = pep503(name)
		}
		drop := false
		if c.byRelease && ae.Ecosystem == c.eco.Ecosystem {
			if sameRelease(c.eco, ae) {
				eco = c.pkgEco.String()
			} else {
				drop = true
			}
		}
		if !drop && name == a.GetPackage().GetName() && eco == a.GetPackage().GetEcosystem() && !slices.ContainsFunc(a.GetRanges(), commitRange) {
			continue
		}
		if out == nil {
			out = proto.Clone(v).(*osvpb.Vulnerability)
		}
		if drop {
			out.Affected[i], dropped = nil, true
			continue
		}
		b := out.Affected[i]
		b.Package.Name, b.Package.Ecosystem = name, eco
		b.Ranges = slices.DeleteFunc(b.Ranges, commitRange)
	}
	if out == nil {
		return v
	}
	if dropped {
		out.Affected = slices.DeleteFunc(out.Affected, func(a *osvpb.Affected) bool { return a == nil })
	}
	return out
}

// bySource is the advisory as osvlocal must read it for a binary rpm whose
// distribution's advisories name the source package (see sourceName):
// osvlocal compares the entry's name with the binary's. The advisory is
// copied when an entry changes.
func bySource(v *osvpb.Vulnerability, c *candidate) *osvpb.Vulnerability {
	if c.source == "" || c.source == c.pkg.Name {
		return v
	}
	var out *osvpb.Vulnerability
	for i, a := range v.GetAffected() {
		if a.GetPackage().GetName() != c.source {
			continue
		}
		if out == nil {
			out = proto.Clone(v).(*osvpb.Vulnerability)
		}
		out.Affected[i].Package.Name = c.pkg.Name
	}
	if out == nil {
		return v
	}
	return out
}

// commitRange reports a range of commits (GIT), not of versions.
func commitRange(r *osvpb.Range) bool {
	return r.GetType() != osvpb.Range_ECOSYSTEM && r.GetType() != osvpb.Range_SEMVER
}

// names are the names a package's advisories may call it by. A superset
// is safe: osvlocal compares exactly afterwards.
func names(p *extractor.Package, eco osvecosystem.Parsed, source string) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		if s != "" {
			out[s] = true
			out[strings.ToLower(s)] = true
		}
	}
	add(p.Name)
	add(source)
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		add(m.SourceName)
		add(m.PackageName)
	case *apkmeta.Metadata:
		add(m.OriginName)
		add(m.PackageName)
	}
	if u := p.PURL(); u != nil && u.Namespace != "" {
		add(u.Namespace + "/" + u.Name)
		add(u.Namespace + ":" + u.Name)
	}
	switch eco.Ecosystem {
	case "Go":
		if p.Name == "go" {
			add("stdlib")
		}
		// Module major versions: github.com/x/y/v2 is named so in advisories.
		if u := p.PURL(); u != nil && u.Subpath != "" {
			add(p.Name + "/" + u.Subpath)
		}
	case "PyPI":
		add(pep503(p.Name))
	}
	return out
}

// finding describes a match: the affected entries that name the package
// give the fixed version and any per-package rating.
func finding(v *osvpb.Vulnerability, c *candidate) vuln.Finding {
	var affected []*osvpb.Affected
	pkgName := c.pkg.Name
	for _, a := range v.GetAffected() {
		ae, err := osvecosystem.Parse(a.GetPackage().GetEcosystem())
		if err != nil || !ae.Equal(c.pkgEco) || !c.names[a.GetPackage().GetName()] {
			continue
		}
		affected = append(affected, a)
		pkgName = a.GetPackage().GetName()
	}
	r := rate(v, affected)
	f := vuln.Finding{
		ID:         v.GetId(),
		Aliases:    aliases(v),
		Summary:    summary(v),
		Severity:   r.severity,
		CVSS:       r.score,
		CVSSVector: r.vector,
		Package:    pkgName,
		Ecosystem:  c.eco.String(),
		Installed:  c.version,
		Fixed:      fixedVersion(affected, c),
		Location:   c.pkg.Location.PathOrEmpty(),
	}
	if c.eco.Ecosystem == "PyPI" {
		f.Package = c.pkg.Name // the advisory's spelling was normalised
	}
	if f.Package != c.pkg.Name {
		f.Binary = c.pkg.Name
	}
	if u := c.pkg.PURL(); u != nil {
		f.PURL = u.String()
	}
	return f
}

// aliases lists the advisory's aliases and upstream ids, CVEs first.
func aliases(v *osvpb.Vulnerability) []string {
	var out []string
	for _, a := range append(append([]string(nil), v.GetAliases()...), v.GetUpstream()...) {
		if a != v.GetId() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	cveFirst(out)
	return out
}

// cveFirst moves CVE ids to the front, keeping the order otherwise.
func cveFirst(ids []string) {
	sort.SliceStable(ids, func(i, j int) bool {
		return strings.HasPrefix(ids[i], "CVE-") && !strings.HasPrefix(ids[j], "CVE-")
	})
}

// maxSummary bounds the summary kept per finding (details can run to pages).
const maxSummary = 200

func summary(v *osvpb.Vulnerability) string {
	s := v.GetSummary()
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(v.GetDetails()), "\n")
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// fixedVersion is the lowest fixed version above the installed one in the
// matching ranges, compared under the ecosystem's rules; empty when none
// is published.
func fixedVersion(affected []*osvpb.Affected, c *candidate) string {
	installed := c.installed
	best := ""
	var bestV semantic.Version
	for _, a := range affected {
		for _, r := range a.GetRanges() {
			if commitRange(r) {
				continue
			}
			for _, e := range r.GetEvents() {
				fixed := e.GetFixed()
				if fixed == "" {
					continue
				}
				if order, err := installed.CompareStr(fixed); err != nil || order >= 0 {
					continue
				}
				if best != "" {
					if order, err := bestV.CompareStr(fixed); err != nil || order <= 0 {
						continue
					}
				}
				fv, err := semantic.Parse(fixed, c.eco.String())
				if err != nil {
					continue
				}
				best, bestV = fixed, fv
			}
		}
	}
	return best
}

// rateUnrated gives findings the advisory states no rating for the rating
// of an alias, from the ratings of every ecosystem in the database.
func (db *DB) rateUnrated(fs []vuln.Finding) error {
	var ratings []*sortedFile
	for i := range fs {
		f := &fs[i]
		if f.Severity != vuln.Unrated {
			continue
		}
		if ratings == nil {
			var err error
			if ratings, err = db.openRatings(); err != nil {
				return err
			}
		}
		best := rating{}
		var by string
		for _, id := range f.IDs() {
			for _, rf := range ratings {
				err := rf.lookup(nil, id, func(v []byte) error {
					r, src, ok := parseRating(string(v))
					if ok && r.better(best) {
						best, by = r, src
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
		if best.severity != vuln.Unrated {
			f.Severity, f.CVSS, f.CVSSVector, f.RatedBy = best.severity, best.score, best.vector, by
		}
	}
	return nil
}

func parseRating(s string) (rating, string, bool) {
	parts := strings.Split(s, "\t")
	if len(parts) != 4 {
		return rating{}, "", false
	}
	sev, err := vuln.ParseSeverity(parts[0])
	if err != nil {
		return rating{}, "", false
	}
	score, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return rating{}, "", false
	}
	return rating{severity: sev, score: score, vector: parts[2]}, parts[3], true
}

// openRatings opens every ecosystem's ratings, once.
func (db *DB) openRatings() ([]*sortedFile, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.ratings != nil {
		return db.ratings, nil
	}
	dirs, err := os.ReadDir(db.dir)
	if err != nil {
		return nil, err
	}
	db.ratings = []*sortedFile{}
	for _, d := range dirs {
		rf, err := openSorted(filepath.Join(db.dir, d.Name(), ratingsFile))
		if err != nil {
			continue // not an ecosystem, or fetched by an older kubeward
		}
		db.ratings = append(db.ratings, rf)
	}
	return db.ratings, nil
}
