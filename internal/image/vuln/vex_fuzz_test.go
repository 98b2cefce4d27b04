package vuln

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseVEX: no document makes the loader or the matcher panic, and a
// document the loader accepts is applied.
func FuzzParseVEX(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "openvex", "*.json"))
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"@context": "https://openvex.dev/ns", "timestamp": "2023-01-08T18:02:03-06:00", "version": "1",
  "statements": [{"vulnerability": "CVE-2023-12345", "products": ["pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"], "subcomponents": ["pkg:apk/wolfi/git"], "status": "fixed"}]}`))
	f.Add([]byte(`{"document": {"csaf_version": "2.0"}}`))
	img := Image{Reference: "ghcr.io/acme/app:1.0", Repository: "ghcr.io/acme/app", Digest: "sha256:" + strings.Repeat("a1", 32)}
	finding := Finding{ID: "GHSA-45x7-px36-x8w8", Aliases: []string{"CVE-2023-48795"}, Severity: High, Package: "openssl", Binary: "libssl3",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64&distro=bookworm"}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := parseVEX(data)
		if err != nil || checkStatements(d) != nil {
			return
		}
		p := DefaultPolicy()
		p.VEX = []Document{{Name: "fuzz.json", Doc: d}}
		p.Judge(img, []Finding{finding})
	})
}
