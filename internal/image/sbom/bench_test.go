package sbom

import (
	"context"
	"fmt"
	"testing"

	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

// BenchmarkFromImage measures listing an image's packages with every
// extractor against the eight of before the language ecosystems were
// added (dpkg, apk, rpm, Go binaries, npm lockfiles and node_modules, Java
// archives, Python), on one image in the same run: 20,000 small files in
// 400 directories, 40 executables (Go binaries, which every
// binary-reading extractor opens), a Debian package database, and the
// real artefacts of sbomtest.LanguageLayer.
func BenchmarkFromImage(b *testing.B) {
	files := map[string]sbomtest.File{
		"etc/os-release":      sbomtest.OSRelease("debian", "12", "bookworm"),
		"var/lib/dpkg/status": sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: "3.0.11-1~deb12u2"}),
	}
	bin := sbomtest.GoBinary(b, "golang.org/x/net", "v0.17.0")
	for i := range 40 {
		files[fmt.Sprintf("usr/local/bin/tool%d", i)] = bin
	}
	for i := range 20_000 {
		files[fmt.Sprintf("usr/share/doc/pkg%d/file%d.txt", i%400, i)] = sbomtest.File{Data: []byte("a small text file of a package's documentation\n")}
	}
	img := sbomtest.Image(b, sbomtest.Layer(b, files), sbomtest.LanguageLayer(b))
	opts := Options{MaxFileBytes: defaultMaxFileBytes, MaxFiles: defaultMaxFiles}
	all, err := extractors(opts)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		n    int
	}{{"before-languages", 8}, {"all", len(all)}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := scan(context.Background(), img, opts, all[:tc.n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
