package sbom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/sbom/cdx"
	scalibrspdx "github.com/google/osv-scalibr/extractor/filesystem/sbom/spdx"
	"github.com/google/osv-scalibr/purl"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/sharedtest"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"
)

// upstreamSBOM is a real SBOM from a reference library's testdata.
type upstreamSBOM struct {
	name, path string
	// format is "cdx", "spdx" (JSON) or "spdx-tv" (tag-value).
	format string
}

// upstreamSBOMs lists the SPDX 2.2/2.3 (JSON and tag-value) and CycloneDX
// 1.2-1.6 JSON documents of the reference libraries' and osv-scalibr's
// testdata. A directory that is gone or empty fails: the upstream layout
// changed.
func upstreamSBOMs(t *testing.T) []upstreamSBOM {
	t.Helper()
	var out []upstreamSBOM
	for _, src := range []struct{ module, glob, format string }{
		{"github.com/CycloneDX/cyclonedx-go", "testdata/*.json", "cdx"},
		{"github.com/CycloneDX/cyclonedx-go", "testdata/snapshots/*.json", "cdx"},
		{"github.com/spdx/tools-golang", "examples/sample-docs/json/*.json", "spdx"},
		{"github.com/spdx/tools-golang", "examples/sample-docs/tv/*.spdx", "spdx-tv"},
		{"github.com/spdx/tools-golang", "json/test_fixtures/*.json", "spdx"},
		{"github.com/spdx/tools-golang", "spdx/v2/v2_2/json/testdata/*.json", "spdx"},
		{"github.com/spdx/tools-golang", "spdx/v2/v2_3/json/testdata/*.json", "spdx"},
		{"github.com/google/osv-scalibr", "extractor/filesystem/sbom/cdx/testdata/*.json", "cdx"},
		{"github.com/google/osv-scalibr", "extractor/filesystem/sbom/spdx/testdata/*.json", "spdx"},
	} {
		dir := sharedtest.ModulePath(t, src.module)
		files, err := filepath.Glob(filepath.Join(dir, src.glob))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no SBOM matches %s (%v): the upstream layout changed", src.module, src.glob, err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(dir, f)
			out = append(out, upstreamSBOM{name: src.module[strings.LastIndex(src.module, "/")+1:] + "/" + rel, path: f, format: src.format})
		}
	}
	return out
}

// pkgKey is what the matcher reads of a package.
type pkgKey struct{ Name, Version, PURL, Ecosystem string }

func keys(pkgs []*extractor.Package) []pkgKey {
	var out []pkgKey
	for _, p := range pkgs {
		k := pkgKey{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem().String()}
		if u := p.PURL(); u != nil {
			if u.Type == "oci" {
				continue // the image the SBOM describes
			}
			k.PURL = u.String()
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b pkgKey) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return slices.Compact(out)
}

// documentPURLs are the purls the document lists, as the format's own
// library reads it: every component, nested ones too (CycloneDX), every
// package's purl external reference (SPDX), but the described image's.
// An error is the library's refusal of the document.
func documentPURLs(t *testing.T, doc upstreamSBOM, data []byte) (purls []string, version string, err error) {
	t.Helper()
	add := func(s string) {
		u, err := purl.FromString(s)
		if err != nil {
			t.Errorf("the document lists an invalid purl %q: %v", s, err)
			return
		}
		if u.Type != "oci" && !slices.Contains(purls, u.String()) {
			purls = append(purls, u.String())
		}
	}
	if doc.format != "cdx" {
		read := spdxjson.Read
		if doc.format == "spdx-tv" {
			read = tagvalue.Read
		}
		d, err := read(bytes.NewReader(data))
		if err != nil {
			return nil, "", fmt.Errorf("tools-golang: %w", err)
		}
		for _, p := range d.Packages {
			for _, r := range p.PackageExternalReferences {
				if r.RefType == "purl" {
					add(r.Locator)
				}
			}
		}
		return purls, strings.TrimPrefix(d.SPDXVersion, "SPDX-"), nil
	}
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(data), cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, "", fmt.Errorf("cyclonedx-go: %w", err)
	}
	var walk func([]cyclonedx.Component)
	walk = func(cs []cyclonedx.Component) {
		for _, c := range cs {
			if c.PackageURL != "" {
				add(c.PackageURL)
			}
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	if bom.Components != nil {
		walk(*bom.Components)
	}
	return purls, bom.SpecVersion.String(), nil
}

// standalone is what osv-scalibr's SBOM extractor reads from the file.
func standalone(t *testing.T, doc upstreamSBOM, data []byte) []pkgKey {
	t.Helper()
	var e filesystem.Extractor = cdx.Extractor{}
	name := map[string]string{"cdx": "upstream.cdx.json", "spdx": "upstream.spdx.json", "spdx-tv": "upstream.spdx"}[doc.format]
	if doc.format != "cdx" {
		e = scalibrspdx.Extractor{}
	}
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: name, Reader: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("osv-scalibr %s: %v", e.Name(), err)
	}
	return keys(inv.Packages)
}

// attestation wraps a document in an in-toto statement as a producer does,
// and reads the predicate back out as the signature verification does.
type attestation struct {
	producer      string
	predicateType string
	predicate     any
}

func attestations(doc upstreamSBOM, data []byte, version string) []attestation {
	obj := json.RawMessage(data)
	switch doc.format {
	case "spdx-tv":
		return []attestation{
			{"cosign spdx", sbom.PredicateSPDX, string(data)},
			{"cosign v1 spdx", sbom.PredicateSPDX, map[string]any{"Data": string(data)}},
		}
	case "spdx":
		return []attestation{
			// cosign attest --type spdxjson (v2+), syft attest -o spdx-json, docker buildx --sbom
			{"cosign spdxjson / syft / buildx", sbom.PredicateSPDX, obj},
			// actions/attest-sbom names the version
			{"actions/attest-sbom", sbom.PredicateSPDX + "/v" + version, obj},
			// cosign attest --type spdx: the file as a string
			{"cosign spdx", sbom.PredicateSPDX, string(data)},
			// cosign before v2: {"Data": ...}
			{"cosign v1 spdxjson", sbom.PredicateSPDX, map[string]any{"Data": obj}},
			{"cosign v1 spdx", sbom.PredicateSPDX, map[string]any{"Data": string(data)}},
		}
	}
	return []attestation{
		// cosign attest --type cyclonedx (v2+), syft attest -o cyclonedx-json, actions/attest-sbom
		{"cosign cyclonedx / syft / attest-sbom", sbom.PredicateCycloneDX, obj},
		// the in-toto predicate spec's example names the version
		{"in-toto versioned", sbom.PredicateCycloneDX + "/v" + version, obj},
		// cosign before v2: {"Data": ...}
		{"cosign v1 cyclonedx", sbom.PredicateCycloneDX, map[string]any{"Data": obj}},
	}
}

func (a attestation) statement(t *testing.T) (string, json.RawMessage) {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v0.1",
		"subject":       []any{map[string]any{"name": "ghcr.io/acme/app", "digest": map[string]string{"sha256": strings.Repeat("ab", 32)}}},
		"predicateType": a.predicateType,
		"predicate":     a.predicate,
	})
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.PredicateType, st.Predicate
}

// TestUpstreamSBOMs reads every real SBOM of the reference libraries'
// testdata through the attestation path, wrapped as each producer wraps
// it: the packages are osv-scalibr's on the file alone, every purl the
// format's library finds in the document is among them, and a document
// without packages to match is refused, never an empty pass.
func TestUpstreamSBOMs(t *testing.T) {
	docs := upstreamSBOMs(t)
	var read, empty, refusedDocs int
	for _, doc := range docs {
		t.Run(doc.name, func(t *testing.T) {
			data, err := os.ReadFile(doc.path)
			if err != nil {
				t.Fatal(err)
			}
			docPURLs, version, refused := documentPURLs(t, doc, data)
			if refused != nil {
				// The format's own library cannot read it (tools-golang's
				// 2.2 tag-value example): kubeward must refuse it too.
				refusedDocs++
				for _, a := range attestations(doc, data, version) {
					typ, pred := a.statement(t)
					if l, err := sbom.FromPredicate(context.Background(), typ, pred); err == nil {
						t.Errorf("%s (%s): %s, yet read %d packages", a.producer, typ, refused, len(l.Packages))
					}
				}
				return
			}
			want := standalone(t, doc, data)
			if len(docPURLs) == 0 {
				empty++
			} else {
				read++
			}
			for _, a := range attestations(doc, data, version) {
				typ, pred := a.statement(t)
				l, err := sbom.FromPredicate(context.Background(), typ, pred)
				if len(docPURLs) == 0 {
					if err == nil || !strings.Contains(err.Error(), "lists no packages") {
						t.Errorf("%s (%s): a document without purls gave %v, %v; want a no-packages error", a.producer, typ, l, err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s (%s): %v", a.producer, typ, err)
					continue
				}
				got := keys(l.Packages)
				if !slices.Equal(got, want) {
					t.Errorf("%s (%s): packages differ from osv-scalibr's on the file:\ngot  %v\nwant %v", a.producer, typ, got, want)
				}
				var gotPURLs []string
				for _, k := range got {
					gotPURLs = append(gotPURLs, k.PURL)
				}
				for _, p := range docPURLs {
					if !slices.Contains(gotPURLs, p) {
						t.Errorf("%s (%s): %s of the document is missing", a.producer, typ, p)
					}
				}
			}
		})
	}
	// The corpus must exercise both outcomes.
	if read < 10 || empty == 0 || refusedDocs > 1 {
		t.Errorf("%d documents with purls, %d without, %d unreadable: the upstream testdata changed", read, empty, refusedDocs)
	}
}

// TestWriteParsesWithReferenceLibraries reads kubeward's own SBOMs with
// the formats' reference libraries: they parse, carry what the formats
// and the attestation producers require (actions/attest-sbom takes a
// CycloneDX BOM only with bomFormat, specVersion and serialNumber), name
// the image as what they describe, and list every package by its purl.
func TestWriteParsesWithReferenceLibraries(t *testing.T) {
	l, subject := debianSBOM(t)
	const imagePURL = "pkg:oci/app@sha256:abababababababababababababababababababababababababababababababab?repository_url=ghcr.io%2Facme%2Fapp"
	var want []string
	for _, p := range l.Packages {
		want = append(want, p.PURL().String())
	}
	write := func(t *testing.T, format string) []byte {
		var buf bytes.Buffer
		if err := l.Write(&buf, format, subject); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	serials := map[string]bool{}
	for range 2 {
		t.Run("cyclonedx", func(t *testing.T) {
			data := write(t, "cyclonedx")
			var bom cyclonedx.BOM
			if err := cyclonedx.NewBOMDecoder(bytes.NewReader(data), cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
				t.Fatalf("cyclonedx-go: %v", err)
			}
			if bom.BOMFormat != cyclonedx.BOMFormat || bom.SpecVersion != cyclonedx.SpecVersion1_6 || bom.Version != 1 {
				t.Errorf("bomFormat %q, specVersion %s, version %d", bom.BOMFormat, bom.SpecVersion, bom.Version)
			}
			// CycloneDX: "urn:uuid:" and an RFC 4122 UUID, unique per BOM.
			if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) || serials[bom.SerialNumber] {
				t.Errorf("serialNumber %q (seen: %v)", bom.SerialNumber, serials)
			}
			serials[bom.SerialNumber] = true
			if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Timestamp == "" {
				t.Fatalf("metadata %+v", bom.Metadata)
			}
			if c := bom.Metadata.Component; c.Type != cyclonedx.ComponentTypeContainer || c.PackageURL != imagePURL {
				t.Errorf("described component %+v", c)
			}
			got, version, err := documentPURLs(t, upstreamSBOM{format: "cdx"}, data)
			if err != nil || !slices.Equal(sorted(got), sorted(want)) {
				t.Errorf("%s BOM lists %v (%v), want %v", version, got, err, want)
			}
		})
	}
	t.Run("spdx", func(t *testing.T) {
		data := write(t, "spdx")
		doc, err := spdxjson.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("tools-golang: %v", err)
		}
		if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXIdentifier != "DOCUMENT" ||
			!strings.HasPrefix(doc.DocumentNamespace, "https://kubeward.dev/spdx/ghcr.io/acme/app@"+subject.Digest+"/") {
			t.Errorf("document %s %s %s %s", doc.SPDXVersion, doc.DataLicense, doc.SPDXIdentifier, doc.DocumentNamespace)
		}
		if ci := doc.CreationInfo; ci == nil || ci.Created == "" || !slices.ContainsFunc(ci.Creators, func(c common.Creator) bool {
			return c.CreatorType == "Tool" && c.Creator == "kubeward-test"
		}) {
			t.Errorf("creationInfo %+v", doc.CreationInfo)
		}
		ids := map[common.ElementID]*v2_3.Package{}
		for _, p := range doc.Packages {
			ids[p.PackageSPDXIdentifier] = p
			if p.PackageDownloadLocation == "" {
				t.Errorf("package %s without downloadLocation", p.PackageName)
			}
		}
		for _, f := range doc.Files {
			ids[f.FileSPDXIdentifier] = nil
		}
		var described []string
		for _, r := range doc.Relationships {
			for _, e := range []common.DocElementID{r.RefA, r.RefB} {
				if _, ok := ids[e.ElementRefID]; !ok && e.ElementRefID != "DOCUMENT" && e.SpecialID == "" {
					t.Errorf("relationship %s %s %s names an element the document does not hold", r.RefA, r.Relationship, r.RefB)
				}
			}
			if r.Relationship == "DESCRIBES" && r.RefA.ElementRefID == "DOCUMENT" {
				if p := ids[r.RefB.ElementRefID]; p != nil {
					for _, ref := range p.PackageExternalReferences {
						described = append(described, p.PrimaryPackagePurpose+" "+ref.Locator)
					}
				}
			}
		}
		if !slices.Equal(described, []string{"CONTAINER " + imagePURL}) {
			t.Errorf("the document describes %v, want the image", described)
		}
		got, _, err := documentPURLs(t, upstreamSBOM{format: "spdx"}, data)
		if err != nil || !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("document lists %v (%v), want %v", got, err, want)
		}
	})
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
