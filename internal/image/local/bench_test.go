package local

import (
	"fmt"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

// BenchmarkOpen lists the packages of one image read from each local
// source, against the same image read from the loopback registry (TLS,
// no cache: go-containerregistry's remote; and kubeward's registry
// client, whose disk cache serves the layer after the first read, and
// without a cache, its private temporary directory) and,
// as the floor, from memory: a Debian package database,
// a Go binary, an npm lockfile and 5,000 small files in 100 directories
// (4.1 MB of layer). The local sources' own cost is opening them (an
// OCI archive is unpacked to a temporary directory first, a compressed
// archive decompressed to a temporary file) and reading the layer from
// disk.
func BenchmarkOpen(b *testing.B) {
	files := map[string]sbomtest.File{
		"etc/os-release":        sbomtest.OSRelease("debian", "12", "bookworm"),
		"var/lib/dpkg/status":   sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: "3.0.11-1~deb12u2"}),
		"usr/local/bin/app":     sbomtest.GoBinary(b, "golang.org/x/net", "v0.17.0"),
		"app/package-lock.json": sbomtest.PackageLock(map[string]string{"lodash": "4.17.20"}),
	}
	for i := range 5_000 {
		files[fmt.Sprintf("usr/share/doc/pkg%d/file%d.txt", i%100, i)] = sbomtest.File{Data: []byte("a small text file of a package's documentation\n")}
	}
	img := sbomtest.Image(b, sbomtest.Layer(b, files))
	dir := b.TempDir()
	lay := localtest.Layout(b, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": img})
	arch := localtest.Archive(b, lay, filepath.Join(dir, "oci.tar"))
	saved := localtest.DockerSave(b, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": img})
	reg := registrytest.New(b)
	ref := reg.Push(b, "acme/app:1.0", img)

	want := -1
	list := func(b *testing.B, img v1.Image) {
		l, err := sbom.FromImage(b.Context(), img, sbom.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if want < 0 {
			want = len(l.Packages) // the image read from memory
		}
		if len(l.Packages) != want || want < 3 {
			b.Fatalf("%d packages, want %d (at least the deb, the npm package and the Go module)", len(l.Packages), want)
		}
	}
	b.Run("memory", func(b *testing.B) {
		for b.Loop() {
			list(b, img)
		}
	})
	b.Run("registry", func(b *testing.B) {
		for b.Loop() {
			ri, err := remote.Image(ref, reg.Options()...)
			if err != nil {
				b.Fatal(err)
			}
			list(b, ri)
		}
	})
	b.Run("registry-cache", func(b *testing.B) {
		c, err := registry.New(registry.Options{RootCAs: reg.CAs, CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		s, err := c.Session("bench", reg.Keychain())
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			ri, err := s.Image(b.Context(), ref, v1.Platform{})
			if err != nil {
				b.Fatal(err)
			}
			list(b, ri)
		}
	})
	// A run without a cache: kubeward's client writes the layer to a
	// private temporary directory and verifies it before it is read
	// (go-containerregistry's stream, "registry", checks at its end, which
	// a tar reader never reaches), then removes the directory.
	b.Run("registry-nocache", func(b *testing.B) {
		for b.Loop() {
			c, err := registry.New(registry.Options{RootCAs: reg.CAs})
			if err != nil {
				b.Fatal(err)
			}
			s, err := c.Session("bench", reg.Keychain())
			if err != nil {
				b.Fatal(err)
			}
			ri, err := s.Image(b.Context(), ref, v1.Platform{})
			if err != nil {
				b.Fatal(err)
			}
			list(b, ri)
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A compressed archive is decompressed into a temporary file first
	// (docker save | gzip; zstd, the fastest to decompress).
	for _, src := range []struct{ name, spec string }{
		{OCIDir, OCIDir + ":" + lay}, {OCIArchive, OCIArchive + ":" + arch}, {DockerArchive, DockerArchive + ":" + saved},
		{OCIArchive + "-gzip", OCIArchive + ":" + localtest.Compress(b, arch, "gzip")},
		{DockerArchive + "-gzip", DockerArchive + ":" + localtest.Compress(b, saved, "gzip")},
		{DockerArchive + "-zstd", DockerArchive + ":" + localtest.Compress(b, saved, "zstd")},
	} {
		spec := src.spec
		b.Run(src.name, func(b *testing.B) {
			for b.Loop() {
				li, err := Open(spec, v1.Platform{OS: "linux", Architecture: "amd64"})
				if err != nil {
					b.Fatal(err)
				}
				list(b, li.Image)
				li.Close()
			}
		})
	}
}
