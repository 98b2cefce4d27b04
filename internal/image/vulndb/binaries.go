package vulndb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/inventory/osvecosystem"
	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
)

// The binaries file maps a binary package to the source packages whose
// advisories apply to it, per release, as the advisories themselves state
// it: each of Canonical's affected entries lists, under
// ecosystem_specific.binaries, the binary packages its source package
// builds in that release (USN and UBUNTU-CVE records alike, fixed or not).
// An Ubuntu chiselled image records binary packages only (the chisel
// manifest has no source field), while the advisories name source packages
// (libssl3t64 is openssl's): the file gives the name to look the
// advisories up by.
//
// Its file is text, one record per distinct triple, sorted, looked up
// like the index (fences in memory, one key in fenceEvery):
//
//	kubeward-osv-binaries <index version> <archive size> <records>
//	<binary> TAB <ecosystem as the entry writes it> TAB <source>
//
// It is written for every archive, empty where no advisory lists binaries,
// so that its absence marks an index built before it existed.
const (
	binariesMagic = "kubeward-osv-binaries"
	binariesFile  = "kubeward.binaries"
)

// binaryNames lists the binary packages an affected entry's
// ecosystem_specific.binaries names, in both shapes Canonical has
// published: a list of {"binary_name": ..., "binary_version": ...}
// objects (the records of today), and a list of objects mapping each
// binary's name to its version (the CVE records of 2024, schema 1.6).
func binaryNames(a *osvpb.Affected) []string {
	var out []string
	for _, v := range a.GetEcosystemSpecific().GetFields()["binaries"].GetListValue().GetValues() {
		fields := v.GetStructValue().GetFields()
		if name, ok := fields["binary_name"]; ok {
			if s := name.GetStringValue(); s != "" {
				out = append(out, s)
			}
			continue
		}
		for name, version := range fields {
			if version.GetStringValue() != "" {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// binaryRecords are the binaries file's lines for one advisory.
func binaryRecords(v *osvpb.Vulnerability) []string {
	var out []string
	for _, a := range v.GetAffected() {
		eco, source := a.GetPackage().GetEcosystem(), a.GetPackage().GetName()
		if !validKey(eco) || !validKey(source) {
			continue
		}
		for _, b := range binaryNames(a) {
			if validKey(b) {
				out = append(out, b+"\t"+eco+"\t"+source)
			}
		}
	}
	return out
}

// sourceUnknown reports a Debian-format package whose source package is
// not known: one of a chisel manifest (which records binary packages
// only), or of an SBOM that does not state it. A package of a dpkg
// database is not one: dpkg states the source when it differs from the
// binary's name, so an empty source there is the binary's own name.
func sourceUnknown(p *extractor.Package) bool {
	m, ok := p.Metadata.(*dpkgmeta.Metadata)
	return ok && m.SourceName == "" && !slices.Contains(p.Plugins, dpkg.Name)
}

// sources are the source packages the advisories of the package's release
// list a binary package under, sorted; none when no advisory of the release
// lists it (the binary is then looked up under its own name, which is its
// source's when no Source field is needed).
func (ix *ecoIndex) sources(rd *reader, binary string, rel osvecosystem.Parsed) ([]string, error) {
	var out []string
	err := ix.binaries.lookup(rd.lines(), binary, func(v []byte) error {
		eco, source, ok := strings.Cut(string(v), "\t")
		if !ok || source == "" {
			return fmt.Errorf("%s: malformed record", binariesFile)
		}
		if e, err := osvecosystem.Parse(eco); err == nil && sameRelease(rel, e) && !slices.Contains(out, source) {
			out = append(out, source)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// withSources is a candidate whose source package is unknown given each
// source package its release's advisories list it under: one candidate per
// source (a binary moved between source packages during a release is
// listed under both), each matched as if its dpkg record had named that
// source. Others are returned as they are.
func (ix *ecoIndex) withSources(rd *reader, c *candidate) ([]*candidate, error) {
	if ix.binaries == nil || !sourceUnknown(c.pkg) {
		return []*candidate{c}, nil
	}
	srcs, err := ix.sources(rd, c.pkg.Name, c.eco)
	if err != nil || len(srcs) == 0 {
		return []*candidate{c}, err
	}
	out := make([]*candidate, 0, len(srcs))
	for _, s := range srcs {
		p := *c.pkg
		m := *p.Metadata.(*dpkgmeta.Metadata)
		m.SourceName = s
		p.Metadata = &m
		withSource := *c
		withSource.pkg = &p
		withSource.names = names(&p, c.eco, c.source)
		out = append(out, &withSource)
	}
	return out, nil
}
