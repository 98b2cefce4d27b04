package local

import (
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
	"github.com/kubeward/kubeward/internal/image/sbom"
)

// FuzzArchive reads arbitrary bytes as an OCI archive and as a docker save
// tarball: an error or an image, never a panic, and an image that opens
// lists its packages within the layer readers' bounds. The seeds are
// real archives of a small image, as localtest writes them, plain and
// compressed with each compression docker load reads (the decompression
// bound is lowered so that a run stays small). Run it with
// a short -fuzzminimizetime (3s): minimizing an interesting 20 KB archive
// takes thousands of runs, and at the default 60 s the run seems stuck.
func FuzzArchive(f *testing.F) {
	dir := f.TempDir()
	img := testImage(f, map[string]string{"lodash": "4.17.20"})
	lay := localtest.Layout(f, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": img})
	for _, file := range []string{
		localtest.Archive(f, lay, filepath.Join(dir, "oci.tar")),
		localtest.DockerSave(f, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": img}),
	} {
		files := []string{file}
		for _, kind := range localtest.Compressions() {
			files = append(files, localtest.Compress(f, file, kind))
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "in.tar")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []string{OCIArchive, DockerArchive} {
			li, err := OpenWith(scheme+":"+file, v1.Platform{}, Options{MaxDecompressedBytes: 4 << 20})
			if err != nil {
				continue
			}
			_, _ = sbom.FromImage(t.Context(), li.Image, sbom.Options{})
			if err := li.Close(); err != nil {
				t.Fatalf("%s: close: %v", scheme, err)
			}
		}
	})
}
