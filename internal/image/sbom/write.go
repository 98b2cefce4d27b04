package sbom

import (
	"fmt"
	"io"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/osv-scalibr/converter"
	scalibrspdx "github.com/google/osv-scalibr/converter/spdx"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/uuid"
	packageurl "github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// cdxVersion is the CycloneDX version Write writes.
const cdxVersion = cyclonedx.SpecVersion1_6

// Formats are the SBOM formats Write writes.
func Formats() []string { return []string{"spdx", "cyclonedx"} }

// Subject names the image an SBOM describes.
type Subject struct {
	// Reference as given (ghcr.io/acme/app:1.2); Repository normalised
	// (ghcr.io/acme/app); Digest of the manifest (sha256:...).
	Reference  string
	Repository string
	Digest     string
	// Tool is the creator, "kubeward-<version>".
	Tool string
}

// ociPURL is the image's package URL (pkg:oci/app@sha256:...?repository_url=...).
func (s Subject) ociPURL() string {
	if s.Digest == "" || s.Repository == "" {
		return ""
	}
	name := s.Repository[strings.LastIndex(s.Repository, "/")+1:]
	q := packageurl.QualifiersFromMap(map[string]string{"repository_url": s.Repository})
	return packageurl.NewPackageURL("oci", "", strings.ToLower(name), s.Digest, q, "").ToString()
}

// Write writes the list as an SPDX 2.3 JSON document ("spdx") or a
// CycloneDX 1.6 JSON BOM ("cyclonedx"), converted by osv-scalibr and encoded by
// spdx/tools-golang and CycloneDX/cyclonedx-go.
func (l *List) Write(w io.Writer, format string, s Subject) error {
	inv := inventory.Inventory{Packages: l.Packages}
	switch format {
	case "spdx":
		cfg := scalibrspdx.Config{DocumentName: s.Reference, DocumentNamespace: namespace(s)}
		if s.Tool != "" {
			cfg.Creators = []common.Creator{{CreatorType: "Tool", Creator: s.Tool}}
		}
		doc := converter.ToSPDX23(inv, cfg)
		describeImage(doc, s)
		return spdxjson.Write(doc, w, spdxjson.Indent("  "))
	case "cyclonedx":
		bom := converter.ToCDX(inv, converter.CDXConfig{
			ComponentName:    cmpOr(s.Repository, s.Reference),
			ComponentVersion: s.Digest,
			ComponentType:    string(cyclonedx.ComponentTypeContainer),
		})
		// A BOM's serial number is unique to it (CycloneDX), and attestation
		// producers require one (actions/attest-sbom refuses a BOM without).
		bom.SerialNumber = uuid.New().URN()
		if p := s.ociPURL(); p != "" {
			bom.Metadata.Component.PackageURL = p
		}
		if s.Tool != "" {
			tools := *bom.Metadata.Tools.Components
			tools = append(tools, cyclonedx.Component{Type: cyclonedx.ComponentTypeApplication, Name: s.Tool})
			bom.Metadata.Tools.Components = &tools
		}
		// 1.6, not the library's latest: the version the in-toto predicate
		// types and the common consumers (Grype, Dependency-Track) know,
		// and nothing written here needs a later one.
		return cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(bom, cdxVersion)
	}
	return fmt.Errorf("SBOM format %q: want %s", format, strings.Join(Formats(), " or "))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// namespace is the document's URI: stable for an image digest, so two
// SBOMs of one image name the same document.
func namespace(s Subject) string {
	if s.Digest != "" {
		return "https://kubeward.dev/spdx/" + cmpOr(s.Repository, s.Reference) + "@" + s.Digest
	}
	return "" // the converter makes a unique one
}

// describeImage makes the document's described package (the converter's
// placeholder "main") the image itself.
func describeImage(doc *v2_3.Document, s Subject) {
	for _, p := range doc.Packages {
		if p.PackageName != "main" || !strings.HasPrefix(string(p.PackageSPDXIdentifier), "SPDXRef-Package-main-") {
			continue
		}
		p.PackageName = cmpOr(s.Repository, s.Reference)
		p.PackageVersion = s.Digest
		if p.PackageVersion == "" {
			p.PackageVersion = scalibrspdx.NoAssertion
		}
		p.PrimaryPackagePurpose = "CONTAINER"
		if u := s.ociPURL(); u != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &v2_3.PackageExternalReference{
				Category: "PACKAGE-MANAGER", RefType: "purl", Locator: u,
			})
		}
		return
	}
}
