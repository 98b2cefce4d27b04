package vuln

import (
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/openvex/go-vex/pkg/vex"
	packageurl "github.com/package-url/packageurl-go"
)

// vexMatch is a statement that speaks of a finding, and where it stands.
type vexMatch struct {
	st   *vex.Statement
	doc  string
	time time.Time
}

// keeps reports whether the statement leaves the finding standing.
func (m *vexMatch) keeps() bool {
	return m.st.Status != vex.StatusNotAffected && m.st.Status != vex.StatusFixed
}

// vexStatement is the effective OpenVEX statement, across the policy's
// documents, about the finding's advisory (by id or alias) in the image or
// in the package itself, and the document it is in.
//
// Whether a statement speaks of the finding is go-vex's Statement.Matches
// (purl qualifiers, versionless purls, identifiers, hashes, subcomponents,
// the vulnerability's name, @id and aliases). Of the statements that do,
// the latest wins: its own timestamp, else its document's (the
// specification's inheritance); of one instant in one document, the later
// in the document, as go-vex's EffectiveStatement orders them. Unlike
// EffectiveStatement, statements that name the flaw differently (a CVE id,
// a GHSA id listing it as an alias) are ordered by time alone, not by name
// first. Statements of one instant in different documents have no order:
// one that keeps the finding wins, so the verdict does not depend on the
// order of the configuration's list.
func (p *Policy) vexStatement(img Image, f *Finding) (*vex.Statement, string) {
	if len(p.VEX) == 0 {
		return nil, ""
	}
	ids := f.IDs()
	pkgs := packagePURLs(f)
	images := imageIdentifiers(img)
	speaksOf := func(st *vex.Statement) bool {
		for _, id := range ids {
			for _, product := range images {
				if st.Matches(id, product, pkgs) {
					return true
				}
			}
			for _, pkg := range pkgs { // the package itself is the product
				if st.Matches(id, pkg, nil) {
					return true
				}
			}
		}
		return false
	}
	var best *vexMatch
	for di := range p.VEX {
		d := &p.VEX[di]
		var latest *vexMatch
		for si := range d.Doc.Statements {
			st := &d.Doc.Statements[si]
			if !speaksOf(st) {
				continue
			}
			t := statementTime(d.Doc, st)
			if latest == nil || !t.Before(latest.time) {
				latest = &vexMatch{st: st, doc: d.Name, time: t}
			}
		}
		if latest != nil && (best == nil || latest.time.After(best.time) ||
			latest.time.Equal(best.time) && latest.keeps() && !best.keeps()) {
			best = latest
		}
	}
	if best == nil {
		return nil, ""
	}
	return best.st, best.doc
}

// statementTime is the statement's timestamp, inherited from the document
// when it has none (LoadVEX refuses statements with neither).
func statementTime(d *vex.VEX, st *vex.Statement) time.Time {
	if st.Timestamp != nil && !st.Timestamp.IsZero() {
		return *st.Timestamp
	}
	if d.Timestamp != nil {
		return *d.Timestamp
	}
	return time.Time{}
}

// imageIdentifiers are the names an OpenVEX product may give the image: its
// OCI purl (pkg:oci/<name>@<digest>?repository_url=<repository>&tag=<tag>
// &arch=<arch>, the form of the purl specification; a statement's purl
// matches when its qualifiers are a subset), the reference and repository
// as written, and the digest, with and without its algorithm (OpenVEX
// hashes are bare hex). An image read from a multi-platform index is named
// by the index's digest and by its platform manifest's.
func imageIdentifiers(img Image) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	digests := []string{img.Digest}
	if img.PlatformDigest != "" && img.PlatformDigest != img.Digest {
		digests = append(digests, img.PlatformDigest) // the platform's own manifest
	}
	if img.Digest != "" && img.Repository != "" {
		name := img.Repository[strings.LastIndex(img.Repository, "/")+1:]
		tag := imageTag(img.Reference)
		for _, d := range digests {
			for _, repo := range repositorySpellings(img.Repository) {
				q := map[string]string{"repository_url": repo}
				if tag != "" {
					q["tag"] = tag
				}
				if img.Architecture != "" {
					q["arch"] = img.Architecture
				}
				add(packageurl.NewPackageURL("oci", "", strings.ToLower(name), d, packageurl.QualifiersFromMap(q), "").ToString())
			}
		}
	}
	add(img.Reference)
	add(img.Repository)
	for _, d := range digests {
		add(d)
		if _, hex, ok := strings.Cut(d, ":"); ok {
			add(hex)
		}
	}
	return out
}

// repositorySpellings are the ways a document may write the repository
// in an OCI purl's repository_url: as written for most registries; for
// Docker Hub (normalised to docker.io/library/nginx) also its other host
// names (index.docker.io, which Docker's own tools write, and
// registry-1.docker.io) and an official image without library/. go-vex
// compares qualifiers as strings, and these name one repository.
func repositorySpellings(repo string) []string {
	path, ok := strings.CutPrefix(repo, "docker.io/")
	if !ok {
		return []string{repo}
	}
	paths := []string{path}
	if short, ok := strings.CutPrefix(path, "library/"); ok {
		paths = append(paths, short)
	}
	var out []string
	for _, host := range []string{"docker.io", "index.docker.io", "registry-1.docker.io"} {
		for _, p := range paths {
			out = append(out, host+"/"+p)
		}
	}
	return out
}

// imageTag is the tag the image was referenced by: latest for a bare name,
// none for a reference by digest alone.
func imageTag(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if tagged, ok := reference.TagNameOnly(named).(reference.Tagged); ok {
		return tagged.Tag()
	}
	return ""
}

// packagePURLs are the package's purl and, for a distribution package whose
// advisories name its source package, the source package's purl.
func packagePURLs(f *Finding) []string {
	if f.PURL == "" {
		return []string{packageurl.NewPackageURL("generic", "", f.PackageName(), f.Installed, nil, "").ToString()}
	}
	out := []string{f.PURL}
	if f.Binary != "" && f.Binary != f.Package {
		if u, err := packageurl.FromString(f.PURL); err == nil {
			u.Name = f.Package
			out = append(out, u.ToString())
		}
	}
	return out
}
