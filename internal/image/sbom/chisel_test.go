package sbom_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// chiselWall is a real chisel manifest of osv-scalibr's chisel extractor
// testdata (Ubuntu 24.04: base-files, libc6, libssl3t64, openssl).
func chiselWall(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.ModulePath(t, "github.com/google/osv-scalibr", "extractor/filesystem/os/chisel/testdata/chisel/openssl.wall"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFromImageChiselled: a chiselled image has no dpkg database; its
// packages are the chisel manifest's binary packages, with their version
// and architecture, under the image's release (the manifest names no
// source package). Where a dpkg database lists the same package too, it is
// listed once, as dpkg's record, which names its source.
func TestFromImageChiselled(t *testing.T) {
	wall := chiselWall(t)
	for _, tc := range []struct {
		name  string
		files map[string]sbomtest.File
		want  []string
	}{{
		name: "manifest only",
		files: map[string]sbomtest.File{
			"etc/os-release":               sbomtest.OSRelease("ubuntu", "24.04", "noble"),
			"var/lib/chisel/manifest.wall": {Data: wall},
		},
		want: []string{
			"pkg:deb/ubuntu/base-files@13ubuntu10.2?arch=amd64&distro=noble",
			"pkg:deb/ubuntu/libc6@2.39-0ubuntu8.4?arch=amd64&distro=noble",
			"pkg:deb/ubuntu/libssl3t64@3.0.13-0ubuntu3.5?arch=amd64&distro=noble",
			"pkg:deb/ubuntu/openssl@3.0.13-0ubuntu3.5?arch=amd64&distro=noble",
		},
	}, {
		name: "manifest and a dpkg status file",
		files: map[string]sbomtest.File{
			"etc/os-release":               sbomtest.OSRelease("ubuntu", "24.04", "noble"),
			"var/lib/chisel/manifest.wall": {Data: wall},
			"var/lib/dpkg/status":          sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3t64", Source: "openssl", Version: "3.0.13-0ubuntu3.5"}),
		},
		want: []string{
			"pkg:deb/ubuntu/base-files@13ubuntu10.2?arch=amd64&distro=noble",
			"pkg:deb/ubuntu/libc6@2.39-0ubuntu8.4?arch=amd64&distro=noble",
			"pkg:deb/ubuntu/libssl3t64@3.0.13-0ubuntu3.5?arch=amd64&distro=noble&source=openssl",
			"pkg:deb/ubuntu/openssl@3.0.13-0ubuntu3.5?arch=amd64&distro=noble",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := sbom.FromImage(context.Background(), sbomtest.Image(t, sbomtest.Layer(t, tc.files)), sbom.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := purls(l); !slices.Equal(got, tc.want) || len(l.Problems) > 0 {
				t.Errorf("packages %v (problems %v)\nwant %v", got, l.Problems, tc.want)
			}
		})
	}
}

// TestFromImageChiselBomb: a manifest that inflates past the bound is a
// problem of the listing, not a process that holds gigabytes.
func TestFromImageChiselBomb(t *testing.T) {
	var bomb bytes.Buffer
	w, err := zstd.NewWriter(&bomb, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	header := []byte(`{"jsonwall":"1.0","schema":"1.0","count":1}` + "\n")
	if _, err := io.Copy(w, io.MultiReader(bytes.NewReader(header), io.LimitReader(zeros{}, 80<<20))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := sbom.FromImage(context.Background(), sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":               sbomtest.OSRelease("ubuntu", "24.04", "noble"),
		"var/lib/chisel/manifest.wall": {Data: bomb.Bytes()},
	})), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Packages) != 0 || len(l.Problems) != 1 || !strings.Contains(l.Problems[0], "once decompressed") {
		t.Errorf("a %d-byte zstd bomb: packages %v, problems %v", bomb.Len(), purls(l), l.Problems)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
