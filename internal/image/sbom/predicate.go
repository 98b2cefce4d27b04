package sbom

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/sbom/cdx"
	"github.com/google/osv-scalibr/extractor/filesystem/sbom/spdx"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/purl"
	purlecosystem "github.com/google/osv-scalibr/purl/ecosystem"
	packageurl "github.com/package-url/packageurl-go"
)

// Predicate types of SBOM attestations (in-toto). Producers name the
// format bare (cosign, syft, docker buildx) or with its version
// (actions/attest-sbom: https://spdx.dev/Document/v2.3; the in-toto
// predicate spec's https://cyclonedx.org/bom/v1.4).
const (
	PredicateSPDX      = "https://spdx.dev/Document"
	PredicateCycloneDX = "https://cyclonedx.org/bom"
)

// maxPredicateBytes bounds an SBOM read from an attestation.
const maxPredicateBytes = 64 << 20

// IsSBOMPredicate reports whether an attestation's predicate type is an
// SBOM this package reads: SPDX 2.x or CycloneDX 1.x. SPDX 3
// (https://spdx.dev/Document/v3) is a different model osv-scalibr does not
// read; such an attestation is not taken for the image's package list.
func IsSBOMPredicate(predicateType string) bool {
	return format(predicateType) != ""
}

func format(predicateType string) string {
	for _, f := range []struct{ typ, version string }{{PredicateSPDX, "v2."}, {PredicateCycloneDX, "v1."}} {
		if predicateType == f.typ || strings.HasPrefix(predicateType, f.typ+"/"+f.version) {
			return f.typ
		}
	}
	return ""
}

// FromPredicate lists the packages of an SBOM attestation's predicate:
// SPDX 2.x (JSON, or tag-value as cosign attest --type spdx carries it) or
// CycloneDX JSON, read by osv-scalibr's SBOM extractors. Distribution
// packages are given what the matcher needs from their purl (source
// package, distribution release), as the layer extractors give it. An SBOM
// without a package to match (none with a purl but the image's own) is an
// error: an empty list would pass every vulnerability check unread.
func FromPredicate(ctx context.Context, predicateType string, predicate []byte) (*List, error) {
	if len(predicate) > maxPredicateBytes {
		return nil, fmt.Errorf("SBOM predicate of %d bytes, more than %d", len(predicate), maxPredicateBytes)
	}
	doc := document(predicate)
	var ex filesystem.Extractor
	var name string
	switch format(predicateType) {
	case PredicateSPDX:
		ex, _ = spdx.New(nil)
		name = "attestation.spdx.json"
		if first(doc) != '{' {
			name = "attestation.spdx" // tag-value
		}
	case PredicateCycloneDX:
		ex, _ = cdx.New(nil)
		name = "attestation.cdx.json"
	default:
		return nil, fmt.Errorf("predicate type %q is not an SBOM kubeward reads (want %s or %s, SPDX 2 or CycloneDX 1)", predicateType, PredicateSPDX, PredicateCycloneDX)
	}
	inv, err := extract(ctx, ex, name, doc)
	if err != nil {
		return nil, fmt.Errorf("reading the SBOM attestation: %w", err)
	}
	var pkgs []*extractor.Package
	withPURL := 0
	for _, p := range inv.Packages {
		u := p.PURL()
		if u != nil && u.Type == "oci" {
			continue // the image itself, as the SBOM's described package
		}
		if u != nil {
			withPURL++
		}
		p = native(p)
		p.Location = extractor.LocationFromPath("attestation " + predicateType)
		pkgs = append(pkgs, p)
	}
	if withPURL == 0 {
		if len(pkgs) > 0 {
			return nil, fmt.Errorf("the SBOM attestation lists no packages with a purl (%d without one, which cannot be matched)", len(pkgs))
		}
		return nil, fmt.Errorf("the SBOM attestation lists no packages")
	}
	return &List{Packages: dedupe(pkgs), Source: "attestation " + predicateType}, nil
}

// extract runs an osv-scalibr extractor on a signer's document. Its
// readers panic on some malformed documents (an SPDX "packages": [null] or
// "externalRefs": [null] dereferences nil): the document's fault, an
// error, not a crash of the webhook.
func extract(ctx context.Context, ex filesystem.Extractor, name string, doc []byte) (inv inventory.Inventory, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: malformed document: %v", ex.Name(), r)
		}
	}()
	return ex.Extract(ctx, &filesystem.ScanInput{Path: name, Reader: bytes.NewReader(doc)})
}

// document finds the SBOM in a predicate as the producers write it: the
// document itself (cosign attest --type spdxjson|cyclonedx from v2 on,
// syft attest, docker buildx, actions/attest-sbom), a JSON string holding
// it (cosign attest --type spdx), or either under "Data" (cosign before
// v2). Anything else is handed over as it is, for the reader to refuse.
func document(predicate []byte) []byte {
	var s string
	switch first(predicate) {
	case '"':
		if json.Unmarshal(predicate, &s) == nil {
			return []byte(s)
		}
	case '{':
		var legacy struct {
			Data json.RawMessage `json:"Data"`
			// A document's own fields: "Data" matches "data" case-insensitively.
			SPDXVersion string `json:"spdxVersion"`
			BOMFormat   string `json:"bomFormat"`
		}
		if json.Unmarshal(predicate, &legacy) != nil || legacy.Data == nil || legacy.SPDXVersion != "" || legacy.BOMFormat != "" {
			return predicate
		}
		if first(legacy.Data) == '"' && json.Unmarshal(legacy.Data, &s) == nil {
			return []byte(s)
		}
		return legacy.Data
	}
	return predicate
}

// first is a JSON value's first byte, 0 for none.
func first(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// native turns a distribution package read from an SBOM into the shape
// the layer extractors give: Debian and Alpine advisories name source
// packages, which SBOM generators record in the purl's "source" (scalibr's
// deb), "origin" (scalibr's apk) or "upstream" (syft) qualifier, and apply
// per release, from the "distro" qualifier (a release or a Debian
// codename, mapped by osv-scalibr).
func native(p *extractor.Package) *extractor.Package {
	u := p.PURL()
	if u == nil {
		return p
	}
	q := packageurl.Qualifiers(u.Qualifiers).Map()
	source, _, _ := strings.Cut(cmp.Or(q["source"], q["origin"], q["upstream"]), "@") // "openssl@3.0.11-1" or "openssl"
	distroID, release := splitDistro(q["distro"])
	if distroID == "" {
		distroID = strings.ToLower(u.Namespace)
	}
	switch u.Type {
	case purl.TypeDebian:
		if source == u.Name {
			source = "" // as dpkg's extractor leaves it (apk's keeps the origin)
		}
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
