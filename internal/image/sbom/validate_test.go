package sbom_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	packageurl "github.com/package-url/packageurl-go"
)

// alpineImage has an apk database whose packages declare their licenses
// the ways Alpine writes them: an SPDX id, an SPDX expression, and the
// free text of older packages.
func alpineImage(t *testing.T) v1.Image {
	t.Helper()
	return sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release": sbomtest.OSRelease("alpine", "3.19.1", ""),
		"lib/apk/db/installed": sbomtest.APKInstalled(
			sbomtest.APK{Name: "busybox", Origin: "busybox", Version: "1.36.1-r9", License: "GPL-2.0-only"},
			sbomtest.APK{Name: "musl", Origin: "musl", Version: "1.2.4-r10"},
			sbomtest.APK{Name: "ca-certificates-bundle", Origin: "ca-certificates", Version: "20240226-r0", License: "MPL-2.0 AND MIT"},
			sbomtest.APK{Name: "alpine-baselayout", Origin: "alpine-baselayout", Version: "3.4.3-r2", License: "MIT BSD GPL2+"},
		),
	}))
}

// spdxDoc is what the SPDX 2.3 validators (spdx/tools-python's
// validate_full_spdx_document, the NTIA conformance checker) read of a
// JSON document, as written, not as a library normalises it.
type spdxDoc struct {
	SPDXID            string `json:"SPDXID"`
	SPDXVersion       string `json:"spdxVersion"`
	DataLicense       string `json:"dataLicense"`
	Name              string `json:"name"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	DocumentDescribes []string `json:"documentDescribes"`
	Packages          []struct {
		SPDXID                  string          `json:"SPDXID"`
		Name                    string          `json:"name"`
		VersionInfo             string          `json:"versionInfo"`
		Supplier                string          `json:"supplier"`
		DownloadLocation        string          `json:"downloadLocation"`
		FilesAnalyzed           *bool           `json:"filesAnalyzed"`
		PackageVerificationCode json.RawMessage `json:"packageVerificationCode"`
		HasFiles                []string        `json:"hasFiles"`
		LicenseConcluded        string          `json:"licenseConcluded"`
		LicenseDeclared         string          `json:"licenseDeclared"`
		PrimaryPackagePurpose   string          `json:"primaryPackagePurpose"`
		ExternalRefs            []spdxRef       `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		SPDXID    string `json:"SPDXID"`
		FileName  string `json:"fileName"`
		Checksums []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
	} `json:"files"`
	ExtractedLicenses []struct {
		LicenseID string `json:"licenseId"`
	} `json:"hasExtractedLicensingInfos"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

func decodeSPDX(t *testing.T, data []byte) spdxDoc {
	t.Helper()
	var doc spdxDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func writeSPDX(t *testing.T, l *sbom.List, s sbom.Subject) spdxDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := l.Write(&buf, "spdx", s); err != nil {
		t.Fatal(err)
	}
	return decodeSPDX(t, buf.Bytes())
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

var (
	spdxIDRe = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	// SPDX 2.3 6.9: "YYYY-MM-DDThh:mm:ssZ".
	spdxCreatedRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	// SPDX 2.3 6.8: "Tool: toolidentifier-version".
	spdxToolRe  = regexp.MustCompile(`^Tool: \S+-\S+$`)
	spdxActorRe = regexp.MustCompile(`^(Person|Organization): .+$`)
	// tools-python's download location pattern, less its VCS forms.
	spdxDownloadRe = regexp.MustCompile(`^(NONE|NOASSERTION|(https?|ftp|sftp)://\S+)$`)
	uuidURNRe      = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// spdxLicenseIDs are the SPDX license list's ids, as the CycloneDX schema
// enumerates them.
func spdxLicenseIDs(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sbomtest.SchemaDir(t), "spdx.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(data, &s); err != nil || len(s.Enum) < 400 {
		t.Fatalf("spdx.schema.json: %d ids, %v", len(s.Enum), err)
	}
	ids := map[string]bool{}
	for _, id := range s.Enum {
		ids[strings.ToLower(id)] = true
	}
	return ids
}

// licenseExpressionProblem says what is wrong with an SPDX license
// expression: each term an SPDX license id or a LicenseRef- the document
// declares.
func licenseExpressionProblem(expr string, ids, refs map[string]bool) string {
	if expr == "" || expr == "NOASSERTION" || expr == "NONE" {
		return ""
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") {
		return "unbalanced parentheses"
	}
	for _, term := range strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(expr)) {
		switch {
		case term == "AND" || term == "OR" || term == "WITH":
		case strings.HasPrefix(term, "LicenseRef-"):
			if !refs[term] || !regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.-]+$`).MatchString(term) {
				return term + " is not declared in hasExtractedLicensingInfos"
			}
		case !ids[strings.ToLower(strings.TrimSuffix(term, "+"))]:
			return term + " is not an SPDX license id"
		}
	}
	return ""
}

// checkPURL: a valid purl (packageurl-go parses it) with a type and a name.
func checkPURL(t *testing.T, where, s string) {
	t.Helper()
	u, err := packageurl.FromString(s)
	if err != nil || u.Type == "" || u.Name == "" {
		t.Errorf("%s: invalid purl %q: %v", where, s, err)
	}
}

// checkSPDX applies the SPDX 2.3 rules the schema cannot express.
func checkSPDX(t *testing.T, data []byte, subject sbom.Subject) {
	t.Helper()
	doc := decodeSPDX(t, data)
	if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXID != "SPDXRef-DOCUMENT" || doc.Name == "" {
		t.Errorf("document header %s %s %s %q", doc.SPDXVersion, doc.DataLicense, doc.SPDXID, doc.Name)
	}
	// The namespace is an absolute URI without a fragment (tools-python's
	// validate_uri).
	if u, err := url.Parse(doc.DocumentNamespace); err != nil || !u.IsAbs() || u.Host == "" || strings.Contains(doc.DocumentNamespace, "#") {
		t.Errorf("documentNamespace %q is not an absolute URI without a fragment (%v)", doc.DocumentNamespace, err)
	}
	if !spdxCreatedRe.MatchString(doc.CreationInfo.Created) {
		t.Errorf("created %q is not YYYY-MM-DDThh:mm:ssZ", doc.CreationInfo.Created)
	} else if c, err := time.Parse(time.RFC3339, doc.CreationInfo.Created); err != nil || time.Since(c) > time.Hour || time.Until(c) > time.Hour {
		t.Errorf("created %q is not now (%v)", doc.CreationInfo.Created, err)
	}
	for _, c := range doc.CreationInfo.Creators {
		if !spdxToolRe.MatchString(c) && !spdxActorRe.MatchString(c) {
			t.Errorf("creator %q is not \"Tool: name-version\", \"Person: ...\" or \"Organization: ...\"", c)
		}
	}
	if !slices.Contains(doc.CreationInfo.Creators, "Tool: "+subject.Tool+"-"+subject.ToolVersion) {
		t.Errorf("creators %q do not name %s", doc.CreationInfo.Creators, subject.Tool)
	}

	ids := map[string]string{"SPDXRef-DOCUMENT": "document"}
	addID := func(id, kind string) {
		if !spdxIDRe.MatchString(id) {
			t.Errorf("%s id %q is not SPDXRef-[letters, digits, . and -]", kind, id)
		}
		if _, dup := ids[id]; dup {
			t.Errorf("%s id %q is not unique", kind, id)
		}
		ids[id] = kind
	}
	licenses, refs := spdxLicenseIDs(t), map[string]bool{}
	for _, l := range doc.ExtractedLicenses {
		if refs[l.LicenseID] {
			t.Errorf("extracted license %s declared twice", l.LicenseID)
		}
		refs[l.LicenseID] = true
	}
	image := ""
	for _, p := range doc.Packages {
		addID(p.SPDXID, "package")
		where := "package " + p.SPDXID
		if p.Name == "" || p.VersionInfo == "" {
			t.Errorf("%s: name %q, versionInfo %q (NTIA: name and version)", where, p.Name, p.VersionInfo)
		}
		if !spdxDownloadRe.MatchString(p.DownloadLocation) {
			t.Errorf("%s: downloadLocation %q", where, p.DownloadLocation)
		}
		if p.Supplier != "" && p.Supplier != "NOASSERTION" && !spdxActorRe.MatchString(p.Supplier) {
			t.Errorf("%s: supplier %q", where, p.Supplier)
		}
		// NTIA: the supplier, where the image says it (a distribution
		// package's maintainer).
		if distributionPackage(p.ExternalRefs) && !spdxActorRe.MatchString(p.Supplier) {
			t.Errorf("%s: distribution package with supplier %q", where, p.Supplier)
		}
		// filesAnalyzed defaults to true, which requires a verification
		// code; false forbids one and any file.
		analyzed := p.FilesAnalyzed == nil || *p.FilesAnalyzed
		if analyzed != (len(p.PackageVerificationCode) > 0) || (!analyzed && len(p.HasFiles) > 0) {
			t.Errorf("%s: filesAnalyzed %v with verificationCode %s and files %v", where, analyzed, p.PackageVerificationCode, p.HasFiles)
		}
		for _, expr := range []string{p.LicenseConcluded, p.LicenseDeclared} {
			if problem := licenseExpressionProblem(expr, licenses, refs); problem != "" {
				t.Errorf("%s: license %q: %s", where, expr, problem)
			}
		}
		purls := 0
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purls++
				if r.Category != "PACKAGE-MANAGER" {
					t.Errorf("%s: purl in category %s", where, r.Category)
				}
				checkPURL(t, where, r.Locator)
			}
		}
		if purls != 1 {
			t.Errorf("%s: %d purls (NTIA: a unique identifier)", where, purls)
		}
		if p.PrimaryPackagePurpose == "CONTAINER" {
			image = p.SPDXID
			if p.VersionInfo != subject.Digest {
				t.Errorf("the image's version is %q, want its digest", p.VersionInfo)
			}
		}
	}
	for _, f := range doc.Files {
		addID(f.SPDXID, "file")
		// tools-python: "checksums must contain a SHA1 algorithm checksum".
		if !slices.ContainsFunc(f.Checksums, func(c struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		}) bool {
			return c.Algorithm == "SHA1"
		}) {
			t.Errorf("file %s (%s) has no SHA1 checksum: %v", f.SPDXID, f.FileName, f.Checksums)
		}
	}
	described := slices.Clone(doc.DocumentDescribes)
	for _, r := range doc.Relationships {
		if kind, ok := ids[r.A]; !ok || (kind == "document" && r.Type != "DESCRIBES") {
			t.Errorf("relationship %s %s %s: no element %s", r.A, r.Type, r.B, r.A)
		}
		if _, ok := ids[r.B]; !ok && r.B != "NOASSERTION" && r.B != "NONE" {
			t.Errorf("relationship %s %s %s: no element %s", r.A, r.Type, r.B, r.B)
		}
		if r.A == "SPDXRef-DOCUMENT" && r.Type == "DESCRIBES" {
			described = append(described, r.B)
		}
	}
	if image == "" || !slices.Equal(described, []string{image}) {
		t.Errorf("the document describes %v, want the image %q alone", described, image)
	}
}

// distributionPackage: a purl external reference of a dpkg or apk package.
func distributionPackage(refs []spdxRef) bool {
	return slices.ContainsFunc(refs, func(r spdxRef) bool {
		return r.Type == "purl" && (strings.HasPrefix(r.Locator, "pkg:deb/") || strings.HasPrefix(r.Locator, "pkg:apk/"))
	})
}

// checkSPDXNames: each package is named as the list names it
// (golang.org/x/net, @scope/pkg; NTIA's component name), not by its purl's
// last segment.
func checkSPDXNames(t *testing.T, data []byte, l *sbom.List) {
	t.Helper()
	doc := decodeSPDX(t, data)
	names := map[string]string{}
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				names[r.Locator] = p.Name
			}
		}
	}
	for _, p := range l.Packages {
		if u := p.PURL(); u != nil && names[u.String()] != p.Name {
			t.Errorf("%s is named %q, want %q", u, names[u.String()], p.Name)
		}
	}
}

// checkCycloneDX applies the CycloneDX rules the schema cannot express,
// and the NTIA minimum elements.
func checkCycloneDX(t *testing.T, data []byte, subject sbom.Subject) {
	t.Helper()
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(data), cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if !uuidURNRe.MatchString(bom.SerialNumber) {
		t.Errorf("serialNumber %q is not a urn:uuid", bom.SerialNumber)
	}
	md := bom.Metadata
	if md == nil || md.Component == nil {
		t.Fatal("no metadata.component")
	}
	if ts, err := time.Parse(time.RFC3339, md.Timestamp); err != nil || time.Since(ts) > time.Hour || time.Until(ts) > time.Hour {
		t.Errorf("timestamp %q is not now (%v)", md.Timestamp, err)
	}
	var tools []string
	if md.Tools != nil && md.Tools.Components != nil {
		for _, c := range *md.Tools.Components {
			if c.Name == "" || c.Version == "" {
				t.Errorf("tool %q without a version", c.Name)
			}
			tools = append(tools, c.Name+"-"+c.Version)
		}
	}
	if !slices.Contains(tools, subject.Tool+"-"+subject.ToolVersion) {
		t.Errorf("tools %v do not name %s", tools, subject.Tool)
	}
	img := md.Component
	if img.Type != cyclonedx.ComponentTypeContainer || img.Name != subject.Repository || img.Version != subject.Digest ||
		!strings.HasPrefix(img.PackageURL, "pkg:oci/") || !strings.Contains(img.PackageURL, "@"+strings.ReplaceAll(subject.Digest, ":", "%3A")) &&
		!strings.Contains(img.PackageURL, "@"+subject.Digest) {
		t.Errorf("metadata.component %+v does not name the image by its digest", img)
	}
	refs := map[string]bool{}
	var walk func(where string, cs []cyclonedx.Component)
	addRef := func(where, ref string) {
		if ref == "" || refs[ref] {
			t.Errorf("%s: bom-ref %q is empty or not unique", where, ref)
		}
		refs[ref] = true
	}
	addRef("metadata.component", img.BOMRef)
	checkPURL(t, "metadata.component", img.PackageURL)
	var components []string
	walk = func(where string, cs []cyclonedx.Component) {
		for _, c := range cs {
			w := where + " " + c.Name
			addRef(w, c.BOMRef)
			components = append(components, c.BOMRef)
			if c.Name == "" || c.Version == "" || c.PackageURL == "" {
				t.Errorf("%s: name %q, version %q, purl %q (NTIA: name, version, a unique identifier)", w, c.Name, c.Version, c.PackageURL)
			}
			if c.PackageURL != "" {
				checkPURL(t, w, c.PackageURL)
			}
			if (strings.HasPrefix(c.PackageURL, "pkg:deb/") || strings.HasPrefix(c.PackageURL, "pkg:apk/")) && (c.Supplier == nil || c.Supplier.Name == "") {
				t.Errorf("%s: distribution package without a supplier", w)
			}
			if c.Licenses != nil {
				for _, l := range *c.Licenses {
					if l.Expression == "" && (l.License == nil || (l.License.ID == "") == (l.License.Name == "")) {
						t.Errorf("%s: license %+v is neither an SPDX id, a name nor an expression", w, l)
					}
				}
			}
			if c.Components != nil {
				walk(w, *c.Components)
			}
		}
	}
	if bom.Components != nil {
		walk("component", *bom.Components)
	}
	// NTIA: dependency relationships. Every ref of the graph exists; the
	// image names every component it holds.
	var imageDeps []string
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			if !refs[d.Ref] {
				t.Errorf("dependency ref %q names no component", d.Ref)
			}
			if d.Dependencies != nil {
				for _, on := range *d.Dependencies {
					if !refs[on] {
						t.Errorf("dependency %q dependsOn %q, no component", d.Ref, on)
					}
				}
				if d.Ref == img.BOMRef {
					imageDeps = append(imageDeps, *d.Dependencies...)
				}
			}
		}
	}
	if !slices.Equal(sorted(imageDeps), sorted(components)) {
		t.Errorf("the image depends on %v, want every component %v", imageDeps, components)
	}
}

// TestWrittenSBOMsValidate writes the SBOM of images of each ecosystem in
// both formats, validates each against the official JSON schema of the
// version it declares and the rules of the formats' own validators, and
// reads it back, as kubeward reads an attestation and as osv-scalibr's
// standalone SBOM extractors read a file, to the packages written.
func TestWrittenSBOMsValidate(t *testing.T) {
	for name, img := range map[string]v1.Image{"debian": debianImage(t), "alpine": alpineImage(t)} {
		l, err := sbom.FromImage(context.Background(), img, sbom.Options{})
		if err != nil {
			t.Fatal(err)
		}
		subject := sbom.Subject{Reference: "ghcr.io/acme/" + name + ":1.0", Repository: "ghcr.io/acme/" + name,
			Digest: "sha256:" + strings.Repeat("ab", 32), Tool: "kubeward", ToolVersion: "v1.2.3"}
		want := unnamed(keys(l.Packages))
		if len(want) < 4 {
			t.Fatalf("%s: %d packages: the image was not read", name, len(want))
		}
		for _, format := range sbom.Formats() {
			t.Run(name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := l.Write(&buf, format, subject); err != nil {
					t.Fatal(err)
				}
				data := buf.Bytes()
				sbomtest.ValidateSchema(t, data)
				predicate, file := sbom.PredicateSPDX, upstreamSBOM{format: "spdx"}
				if format == "spdx" {
					checkSPDX(t, data, subject)
					checkSPDXNames(t, data, l)
				} else {
					checkCycloneDX(t, data, subject)
					predicate, file = sbom.PredicateCycloneDX, upstreamSBOM{format: "cdx"}
				}
				back, err := sbom.FromPredicate(context.Background(), predicate, data)
				if err != nil {
					t.Fatal(err)
				}
				if got := unnamed(keys(back.Packages)); !slices.Equal(got, want) {
					t.Errorf("kubeward reads back\n%v\nwrote\n%v", got, want)
				}
				if got := unnamed(standalone(t, file, data)); !slices.Equal(got, want) {
					t.Errorf("osv-scalibr's extractor reads\n%v\nwrote\n%v", got, want)
				}
				if t.Failed() {
					t.Logf("document:\n%s", data)
				}
			})
		}
	}
}

// unnamed drops the names: osv-scalibr's SPDX reader names a package by
// its purl's last segment (net for golang.org/x/net), whatever the
// document says; the purl keeps the rest.
func unnamed(ks []pkgKey) []pkgKey {
	for i := range ks {
		ks[i].Name = ""
	}
	slices.SortFunc(ks, func(a, b pkgKey) int { return strings.Compare(a.PURL, b.PURL) })
	return ks
}

// TestSPDXNamespaceIsPerDocument: SPDX 2.3 6.5, a namespace names one
// document; two SBOMs of one image (written at different times, by
// different versions) are two documents.
func TestSPDXNamespaceIsPerDocument(t *testing.T) {
	l, subject := debianSBOM(t)
	seen := map[string]bool{}
	for range 2 {
		doc := writeSPDX(t, l, subject)
		if seen[doc.DocumentNamespace] {
			t.Errorf("two documents share the namespace %s", doc.DocumentNamespace)
		}
		seen[doc.DocumentNamespace] = true
	}
}

// TestSPDXStatesNoHostFile: the document states nothing of the files of
// the machine kubeward runs on. osv-scalibr's converter hashes each
// package's file at its path relative to the working directory (the
// image's files are gone by then), and states the empty file's digest
// when there is none.
func TestSPDXStatesNoHostFile(t *testing.T) {
	l, subject := debianSBOM(t)
	dir := t.TempDir()
	host := []byte("Package: host-only\n")
	if err := os.MkdirAll(filepath.Join(dir, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "var/lib/dpkg/status"), host, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	doc := writeSPDX(t, l, subject)
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Value == fmt.Sprintf("%x", sha256.Sum256(host)) || c.Value == fmt.Sprintf("%x", sha256.Sum256(nil)) {
				t.Errorf("file %s: %s %s is the digest of a file that is not the image's", f.FileName, c.Algorithm, c.Value)
			}
		}
	}
}

// TestWrittenSuppliersAndLicenses: a distribution package's maintainer is
// its supplier, and its metadata's license its declared license (SPDX:
// licenseDeclared, licenseConcluded NOASSERTION; CycloneDX: an SPDX id, an
// expression of ids, or the text as a name, acknowledged as declared).
func TestWrittenSuppliersAndLicenses(t *testing.T) {
	l, err := sbom.FromImage(context.Background(), alpineImage(t), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	subject := sbom.Subject{Reference: "ghcr.io/acme/alpine:1", Repository: "ghcr.io/acme/alpine", Digest: "sha256:" + strings.Repeat("cd", 32)}
	doc := writeSPDX(t, l, subject)
	var got []string
	for _, p := range doc.Packages {
		if p.PrimaryPackagePurpose != "CONTAINER" {
			got = append(got, fmt.Sprintf("%s supplier=%q declared=%q concluded=%q", p.Name, p.Supplier, p.LicenseDeclared, p.LicenseConcluded))
		}
	}
	const supplier = "Person: Alpine (alpine@example.org)"
	want := []string{
		`alpine-baselayout supplier="` + supplier + `" declared="LicenseRef-MIT-BSD-GPL2-" concluded="NOASSERTION"`,
		`busybox supplier="` + supplier + `" declared="GPL-2.0-only" concluded="NOASSERTION"`,
		`ca-certificates-bundle supplier="` + supplier + `" declared="MIT AND MPL-2.0" concluded="NOASSERTION"`,
		`musl supplier="` + supplier + `" declared="MIT" concluded="NOASSERTION"`,
	}
	if !slices.Equal(sorted(got), want) {
		t.Errorf("SPDX packages:\n%s\nwant\n%s", strings.Join(sorted(got), "\n"), strings.Join(want, "\n"))
	}

	var buf bytes.Buffer
	if err := l.Write(&buf, "cyclonedx", subject); err != nil {
		t.Fatal(err)
	}
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(&buf, cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, c := range *bom.Components {
		line := c.Name
		if c.Supplier != nil && c.Supplier.Contact != nil {
			line += fmt.Sprintf(" supplier=%s <%s>", c.Supplier.Name, (*c.Supplier.Contact)[0].Email)
		}
		if c.Licenses != nil {
			for _, lc := range *c.Licenses {
				switch {
				case lc.Expression != "":
					line += fmt.Sprintf(" expression=%q (%s)", lc.Expression, *lc.Acknowledgement)
				case lc.License != nil:
					line += fmt.Sprintf(" id=%q name=%q (%s)", lc.License.ID, lc.License.Name, lc.License.Acknowledgement)
				}
			}
		}
		got = append(got, line)
	}
	want = []string{
		`alpine-baselayout supplier=Alpine <alpine@example.org> id="" name="MIT BSD GPL2+" (declared)`,
		`busybox supplier=Alpine <alpine@example.org> id="GPL-2.0-only" name="" (declared)`,
		`ca-certificates-bundle supplier=Alpine <alpine@example.org> expression="MIT AND MPL-2.0" (declared)`,
		`musl supplier=Alpine <alpine@example.org> id="MIT" name="" (declared)`,
	}
	if !slices.Equal(sorted(got), want) {
		t.Errorf("CycloneDX components:\n%s\nwant\n%s", strings.Join(sorted(got), "\n"), strings.Join(want, "\n"))
	}
}

// schemaErrors records what ValidateSchema reports.
type schemaErrors struct {
	testing.TB
	errs []string
}

func (r *schemaErrors) Helper() {}
func (r *schemaErrors) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestOfficialSchemasRefuse: the schemas judge: a document kubeward wrote,
// changed as a careless writer would, is refused.
func TestOfficialSchemasRefuse(t *testing.T) {
	l, subject := debianSBOM(t)
	for _, tc := range []struct{ format, from, to string }{
		{"spdx", `"relationshipType": "DESCRIBES"`, `"relationshipType": "DESCRIBED"`},
		{"spdx", `"referenceCategory": "PACKAGE-MANAGER"`, `"referenceCategory": "PACKAGE_MANAGER"`},
		{"spdx", `"spdxVersion": "SPDX-2.3",`, `"spdxVersion": "SPDX-2.3", "extra": 1,`},
		{"cyclonedx", `"type": "container"`, `"type": "image"`},
		{"cyclonedx", `"timestamp": "`, `"timestamp": "yesterday`},
		{"cyclonedx", `"purl": "pkg:npm/lodash`, `"licenses": [{"license": {"id": "Not-A-License"}}], "purl": "pkg:npm/lodash`},
	} {
		var buf bytes.Buffer
		if err := l.Write(&buf, tc.format, subject); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(buf.Bytes(), []byte(tc.from)) {
			t.Fatalf("%s: the document has no %s", tc.format, tc.from)
		}
		rec := &schemaErrors{TB: t}
		sbomtest.ValidateSchema(rec, bytes.Replace(buf.Bytes(), []byte(tc.from), []byte(tc.to), 1))
		if len(rec.errs) == 0 {
			t.Errorf("%s with %s instead of %s passed the schema", tc.format, tc.to, tc.from)
		}
	}
}
