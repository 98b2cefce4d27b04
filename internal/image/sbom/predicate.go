package sbom

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/sbom/cdx"
	"github.com/google/osv-scalibr/extractor/filesystem/sbom/spdx"
	"github.com/google/osv-scalibr/purl"
	purlecosystem "github.com/google/osv-scalibr/purl/ecosystem"
	packageurl "github.com/package-url/packageurl-go"
)

// Predicate types of SBOM attestations (in-toto), with and without the
// version suffix some generators add.
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// maxPredicateBytes bounds an SBOM read from an attestation.
const maxPredicateBytes = 64 << 20

// IsSBOMPredicate reports whether an attestation's predicate type is an
// SBOM this package reads.
func IsSBOMPredicate(predicateType string) bool {
	return format(predicateType) != ""
}

func format(predicateType string) string {
	for _, p := range []string{PredicateSPDX, PredicateCycloneDX} {
		if predicateType == p || strings.HasPrefix(predicateType, p+"/") {
			return p
		}
	}
	return ""
}

// FromPredicate lists the packages of an SBOM attestation's predicate:
// SPDX 2.x or CycloneDX JSON, read by osv-scalibr's SBOM extractors.
// Distribution packages are given what the matcher needs from their purl
// (source package, distribution release), as the layer extractors give it.
func FromPredicate(ctx context.Context, predicateType string, predicate []byte) (*List, error) {
	if len(predicate) > maxPredicateBytes {
		return nil, fmt.Errorf("SBOM predicate of %d bytes, more than %d", len(predicate), maxPredicateBytes)
	}
	var ex filesystem.Extractor
	var name string
	switch format(predicateType) {
	case PredicateSPDX:
		ex, _ = spdx.New(nil)
		name = "attestation.spdx.json"
	case PredicateCycloneDX:
		ex, _ = cdx.New(nil)
		name = "attestation.cdx.json"
	default:
		return nil, fmt.Errorf("predicate type %q is not an SBOM (want %s or %s)", predicateType, PredicateSPDX, PredicateCycloneDX)
	}
	inv, err := ex.Extract(ctx, &filesystem.ScanInput{Path: name, Reader: bytes.NewReader(predicate)})
	if err != nil {
		return nil, fmt.Errorf("reading the SBOM attestation: %w", err)
	}
	if len(inv.Packages) == 0 {
		return nil, fmt.Errorf("the SBOM attestation lists no packages with a purl")
	}
	var pkgs []*extractor.Package
	for _, p := range inv.Packages {
		if u := p.PURL(); u != nil && u.Type == "oci" {
			continue // the image itself, as the SBOM's described package
		}
		p = native(p)
		p.Location = extractor.LocationFromPath("attestation " + predicateType)
		pkgs = append(pkgs, p)
	}
	return &List{Packages: dedupe(pkgs), Source: "attestation " + predicateType}, nil
}

// native turns a distribution package read from an SBOM into the shape
// the layer extractors give: Debian and Alpine advisories name source
// packages, which SBOM generators record in the purl's "source" (scalibr)
// or "upstream" (syft) qualifier, and apply per release, from the "distro"
// qualifier (a release or a Debian codename, mapped by osv-scalibr).
func native(p *extractor.Package) *extractor.Package {
	u := p.PURL()
	if u == nil {
		return p
	}
	q := packageurl.Qualifiers(u.Qualifiers).Map()
	source, _, _ := strings.Cut(cmpOr(q["source"], q["upstream"]), "@") // "openssl@3.0.11-1" or "openssl"
	if source == u.Name {
		source = "" // as the extractors leave it
	}
	distroID, release := splitDistro(q["distro"])
	if distroID == "" {
		distroID = strings.ToLower(u.Namespace)
	}
	switch u.Type {
	case purl.TypeDebian:
		m := &dpkgmeta.Metadata{PackageName: u.Name, PackageVersion: u.Version, SourceName: source,
			OSID: distroID, OSVersionID: purlecosystem.FromPURL(u).Suffix, Architecture: q["arch"]}
		if release != m.OSVersionID {
			m.OSVersionCodename = release
		}
		return &extractor.Package{Name: u.Name, Version: u.Version, PURLType: purl.TypeDebian, Location: p.Location, Metadata: m}
	case purl.TypeApk:
		return &extractor.Package{Name: u.Name, Version: u.Version, PURLType: purl.TypeApk, Location: p.Location,
			Metadata: &apkmeta.Metadata{PackageName: u.Name, OriginName: source, OSID: distroID, OSVersionID: release, Architecture: q["arch"]}}
	}
	return p
}

// splitDistro reads a purl distro qualifier: "debian-12", "ubuntu-22.04",
// "alpine-3.19.1", or a bare release.
func splitDistro(d string) (id, release string) {
	if i := strings.LastIndex(d, "-"); i > 0 {
		return strings.ToLower(d[:i]), d[i+1:]
	}
	return "", d
}
