package sbom_test

import (
	"context"
	"testing"

	"github.com/kubeward/kubeward/internal/image/sbom"
)

// FuzzFromPredicate feeds SBOM predicates, as a signer could write them, to
// the SPDX and CycloneDX readers: they may refuse, never panic.
func FuzzFromPredicate(f *testing.F) {
	f.Add(true, []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","packages":[{"SPDXID":"SPDXRef-p","name":"libssl3","versionInfo":"3.0.11-1","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:deb/debian/libssl3@3.0.11-1?distro=debian-12&upstream=openssl"}]}]}`))
	f.Add(false, []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"busybox","version":"1.36.1-r9","purl":"pkg:apk/alpine/busybox@1.36.1-r9?distro=alpine-3.19.1","components":[{"name":"x","purl":"pkg:npm/%40s/x@1.0.0"}]}]}`))
	f.Add(false, []byte(`{"bomFormat":"CycloneDX","components":[{"purl":"pkg:deb/ubuntu/x@1?distro=ubuntu-"}]}`))
	f.Fuzz(func(t *testing.T, spdx bool, data []byte) {
		typ := sbom.PredicateCycloneDX
		if spdx {
			typ = sbom.PredicateSPDX
		}
		l, err := sbom.FromPredicate(context.Background(), typ, data)
		if err == nil && len(l.Packages) == 0 {
			t.Fatal("an SBOM without packages was accepted")
		}
	})
}
