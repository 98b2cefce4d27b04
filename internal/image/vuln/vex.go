package vuln

import (
	"strings"
	"time"

	"github.com/openvex/go-vex/pkg/vex"
	packageurl "github.com/package-url/packageurl-go"
)

// vexStatement is the latest OpenVEX statement, across the policy's
// documents, about the finding's advisory (by id or alias) in the image or
// in the package itself, and the document it is in.
//
// An image is named in OpenVEX by its OCI purl (pkg:oci/app@sha256:...,
// optionally with repository_url), its digest as a sha-256 hash, or the
// reference or repository as written; a package by its purl, as a
// subcomponent of the image or as a product of its own. Matching is go-vex's
// (purl qualifiers, versionless purls, aliases).
func (p *Policy) vexStatement(img Image, f *Finding) (*vex.Statement, string) {
	if len(p.VEX) == 0 {
		return nil, ""
	}
	pkgs := packagePURLs(f)
	products := append(imageIdentifiers(img), pkgs...)
	var best *vex.Statement
	var bestTime time.Time
	var bestDoc string
	for _, d := range p.VEX {
		docTime := time.Time{}
		if d.Doc.Timestamp != nil {
			docTime = *d.Doc.Timestamp
		}
		for _, product := range products {
			subs := pkgs
			if strings.HasPrefix(product, "pkg:") && !strings.HasPrefix(product, "pkg:oci/") {
				subs = nil // the package itself is the product
			}
			for _, id := range f.IDs() {
				matches := d.Doc.Matches(id, product, subs)
				if len(matches) == 0 {
					continue
				}
				st := matches[len(matches)-1] // sorted oldest first
				t := docTime
				if st.Timestamp != nil {
					t = *st.Timestamp
				}
				if best == nil || t.After(bestTime) {
					best, bestTime, bestDoc = &st, t, d.Name
				}
			}
		}
	}
	return best, bestDoc
}

func imageIdentifiers(img Image) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	if img.Digest != "" && img.Repository != "" {
		name := img.Repository[strings.LastIndex(img.Repository, "/")+1:]
		q := packageurl.QualifiersFromMap(map[string]string{"repository_url": img.Repository})
		add(packageurl.NewPackageURL("oci", "", strings.ToLower(name), img.Digest, q, "").ToString())
	}
	add(img.Reference)
	add(img.Repository)
	add(img.Digest)
	if _, hex, ok := strings.Cut(img.Digest, ":"); ok {
		add(hex) // OpenVEX hashes are bare hex
	}
	return out
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
