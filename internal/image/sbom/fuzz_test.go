package sbom_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/osv-scalibr/extractor"

	"github.com/kubeward/kubeward/internal/image/sbom"
)

// FuzzFromPredicate feeds SBOM predicates, as a signer could write them, to
// the SPDX and CycloneDX readers: they may refuse, never panic.
func FuzzFromPredicate(f *testing.F) {
	f.Add(true, []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","packages":[{"SPDXID":"SPDXRef-p","name":"libssl3","versionInfo":"3.0.11-1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"}]}]}`))
	f.Add(false, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"busybox","version":"1.36.1-r9","purl":"pkg:apk/alpine/busybox@1.36.1-r9?distro=alpine-3.19.1","components":[{"name":"x","purl":"pkg:npm/%40s/x@1.0.0"}]}]}`))
	f.Add(false, []byte(`{"bomFormat":"CycloneDX","components":[{"purl":"pkg:deb/ubuntu/x@1?distro=ubuntu-"}]}`))
	// As cosign wraps them: a string (--type spdx, here tag-value), and
	// {"Data": ...} before cosign 2.
	f.Add(true, []byte(`"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: x\nDocumentNamespace: https://x\nCreator: Tool: x\nCreated: 2024-01-01T00:00:00Z\n\nPackageName: lodash\nSPDXID: SPDXRef-p\nPackageVersion: 4.17.20\nPackageDownloadLocation: NOASSERTION\nExternalRef: PACKAGE-MANAGER purl pkg:npm/lodash@4.17.20\n"`))
	f.Add(false, []byte(`{"Data":{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"name":"x","purl":"pkg:npm/x@1.0.0"}]}}`))
	f.Add(true, []byte(`{"Data":"{\"spdxVersion\":\"SPDX-2.2\",\"packages\":[{\"SPDXID\":\"SPDXRef-p\",\"name\":\"x\",\"externalRefs\":[{\"referenceCategory\":\"PACKAGE_MANAGER\",\"referenceType\":\"purl\",\"referenceLocator\":\"pkg:pypi/x@1\"}]}]}","Timestamp":"2024-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, spdx bool, data []byte) {
		typ := sbom.PredicateCycloneDX
		if spdx {
			typ = sbom.PredicateSPDX
		}
		l, err := sbom.FromPredicate(context.Background(), typ, data)
		if err == nil && !slices.ContainsFunc(l.Packages, func(p *extractor.Package) bool { return p.PURL() != nil }) {
			t.Fatal("an SBOM without a package to match was accepted")
		}
	})
}
