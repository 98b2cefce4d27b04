package sbom

import (
	"cmp"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/osv-scalibr/converter"
	scalibrspdx "github.com/google/osv-scalibr/converter/spdx"
	"github.com/google/osv-scalibr/extractor"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/inventory"
	scalibrversion "github.com/google/osv-scalibr/version"
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
	// Tool and ToolVersion name the creator (kubeward, v1.4.0).
	Tool, ToolVersion string
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
			cfg.Creators = []common.Creator{{CreatorType: "Tool", Creator: s.Tool + "-" + s.ToolVersion}}
		}
		doc := converter.ToSPDX23(inv, cfg)
		describeImage(doc, s)
		l.fixSPDX(doc)
		return spdxjson.Write(doc, w, spdxjson.Indent("  "))
	case "cyclonedx":
		bom := converter.ToCDX(inv, converter.CDXConfig{
			ComponentName:    cmp.Or(s.Repository, s.Reference),
			ComponentVersion: s.Digest,
			ComponentType:    string(cyclonedx.ComponentTypeContainer),
		})
		// A BOM's serial number is unique to it (CycloneDX), and attestation
		// producers require one (actions/attest-sbom refuses a BOM without).
		bom.SerialNumber = uuid.New().URN()
		if p := s.ociPURL(); p != "" {
			bom.Metadata.Component.PackageURL = p
		}
		tools := *bom.Metadata.Tools.Components
		for i := range tools {
			if tools[i].Name == scalibrTool && tools[i].Version == "" {
				tools[i].Version = scalibrversion.ScannerVersion
			}
		}
		if s.Tool != "" {
			tools = append(tools, cyclonedx.Component{Type: cyclonedx.ComponentTypeApplication, Name: s.Tool, Version: s.ToolVersion})
		}
		bom.Metadata.Tools.Components = &tools
		// NTIA's minimum elements include the dependency relationships: the
		// image holds every component (what else each needs is unknown,
		// which CycloneDX says by leaving it out of the graph). The
		// converter makes one component per package, in order.
		refs := make([]string, 0, len(*bom.Components))
		for i := range *bom.Components {
			refs = append(refs, (*bom.Components)[i].BOMRef)
			if name, email := maintainer(l.Packages[i]); name != "" {
				entity := &cyclonedx.OrganizationalEntity{Name: name}
				if email != "" {
					entity.Contact = &[]cyclonedx.OrganizationalContact{{Email: email}}
				}
				(*bom.Components)[i].Supplier = entity
			}
			(*bom.Components)[i].Licenses = cdxLicenses(l.Packages[i].Licenses)
		}
		bom.Dependencies = &[]cyclonedx.Dependency{{Ref: bom.Metadata.Component.BOMRef, Dependencies: &refs}}
		// 1.6, not the library's latest: the version the in-toto predicate
		// types and the common consumers (Grype, Dependency-Track) know,
		// and nothing written here needs a later one.
		return cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON).SetPretty(true).EncodeVersion(bom, cdxVersion)
	}
	return fmt.Errorf("SBOM format %q: want %s", format, strings.Join(Formats(), " or "))
}

// scalibrTool is the name osv-scalibr's converters give themselves as a
// creator, without a version.
const scalibrTool = "SCALIBR"

// fixSPDX makes the converter's document what SPDX 2.3 validators accept
// and what the list holds:
//   - the converter's creator names osv-scalibr without the version SPDX
//     asks for ("Tool: name-version");
//   - a package is named by its full name (golang.org/x/net, @scope/pkg),
//     not by its purl's last segment;
//   - a distribution package's maintainer is its supplier (NTIA), and the
//     license its metadata states its declared license, not a concluded
//     one;
//   - the files the converter adds (each package's manifest) are dropped:
//     it hashes them at their path in the working directory, where the
//     image's files are not (the host's are, or the empty file's digest is
//     stated), and with SHA-256 alone where SPDX 2.3 requires SHA-1. Each
//     package's sourceInfo still names its file.
func (l *List) fixSPDX(doc *v2_3.Document) {
	for i, c := range doc.CreationInfo.Creators {
		if c.CreatorType == "Tool" && c.Creator == scalibrTool {
			doc.CreationInfo.Creators[i].Creator = "osv-scalibr-" + scalibrversion.ScannerVersion
		}
	}
	byPURL := map[string]*extractor.Package{}
	for _, p := range l.Packages {
		if u := p.PURL(); u != nil {
			byPURL[u.String()] = p
		}
	}
	for _, p := range doc.Packages {
		for _, r := range p.PackageExternalReferences {
			pkg := byPURL[r.Locator]
			if r.RefType != "purl" || pkg == nil {
				continue
			}
			p.PackageName = pkg.Name
			if name, email := maintainer(pkg); name != "" {
				if email != "" {
					name += " (" + email + ")"
				}
				p.PackageSupplier = &common.Supplier{SupplierType: "Person", Supplier: name}
			}
			// What the package's metadata says is its declared license;
			// kubeward concludes nothing.
			p.PackageLicenseDeclared, p.PackageLicenseConcluded = p.PackageLicenseConcluded, scalibrspdx.NoAssertion
		}
	}
	files := map[common.ElementID]bool{}
	for _, f := range doc.Files {
		files[f.FileSPDXIdentifier] = true
	}
	doc.Files = nil
	doc.Relationships = slices.DeleteFunc(doc.Relationships, func(r *v2_3.Relationship) bool {
		return files[r.RefA.ElementRefID] || files[r.RefB.ElementRefID]
	})
}

// maintainer is the supplier a distribution package names (dpkg's and
// apk's Maintainer, "Name <email>"), or "" where the layers do not say.
func maintainer(p *extractor.Package) (name, email string) {
	var m string
	switch md := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		m = md.Maintainer
	case *apkmeta.Metadata:
		m = md.Maintainer
	}
	if a, err := mail.ParseAddress(m); err == nil && a.Name != "" {
		return a.Name, a.Address
	}
	return strings.TrimSpace(m), ""
}

// cdxLicenses are a package's declared licenses as CycloneDX takes them:
// one SPDX id, or one SPDX expression of ids, or else each license as an
// id or, unknown to SPDX, by its name.
func cdxLicenses(licenses []string) *cyclonedx.Licenses {
	expr, custom := scalibrspdx.LicenseExpression(licenses)
	switch {
	case expr == scalibrspdx.NoAssertion:
		return nil
	case custom.Empty() && !strings.ContainsAny(expr, " ()"):
		return &cyclonedx.Licenses{{License: &cyclonedx.License{ID: expr, Acknowledgement: cyclonedx.LicenseAcknowledgementDeclared}}}
	case custom.Empty():
		ack := cyclonedx.LicenseAcknowledgementDeclared
		return &cyclonedx.Licenses{{Expression: expr, Acknowledgement: &ack}}
	}
	var out cyclonedx.Licenses
	for _, l := range licenses {
		lic := &cyclonedx.License{Name: l, Acknowledgement: cyclonedx.LicenseAcknowledgementDeclared}
		if id, ok := scalibrspdx.ShortIdentifier(l); ok {
			lic.ID, lic.Name = id, ""
		}
		if l != "" {
			out = append(out, cyclonedx.LicenseChoice{License: lic})
		}
	}
	return &out
}

// namespace is the document's URI: it names the image, and is unique to
// the document (SPDX 2.3 6.5): two SBOMs of one image, written at two
// times or by two versions, are two documents.
func namespace(s Subject) string {
	image := cmp.Or(s.Repository, s.Reference)
	if s.Digest != "" {
		image += "@" + s.Digest
	}
	return "https://kubeward.dev/spdx/" + image + "/" + uuid.New().String()
}

// describeImage makes the document's described package (the converter's
// placeholder "main") the image itself.
func describeImage(doc *v2_3.Document, s Subject) {
	for _, p := range doc.Packages {
		if p.PackageName != "main" || !strings.HasPrefix(string(p.PackageSPDXIdentifier), "SPDXRef-Package-main-") {
			continue
		}
		p.PackageName = cmp.Or(s.Repository, s.Reference)
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
