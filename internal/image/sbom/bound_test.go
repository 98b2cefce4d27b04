package sbom_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

// gzipLayer is a gzip-compressed layer of one file of size zero bytes:
// a few KB that unpack to size.
func gzipLayer(t *testing.T, name string, size int) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// An image whose layers unpack past MaxImageBytes is refused with the
// bound and the setting that raises it, and leaves nothing in the
// temporary directory osv-scalibr unpacks into: without the bound it was
// unpacked whole there, whatever its size.
func TestFromImageMaxImageBytes(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx := context.Background()
	const mib = 1 << 20
	// Two layers of 3 MiB each, some KB compressed: the bound is passed
	// while the second is read, not by what the manifest states.
	img := sbomtest.Image(t, gzipLayer(t, "a/big", 3*mib), gzipLayer(t, "b/big", 3*mib))
	_, err := sbom.FromImage(ctx, img, sbom.Options{MaxImageBytes: 5 * mib})
	if !errors.Is(err, sbom.ErrImageTooLarge) {
		t.Fatalf("error %v, want ErrImageTooLarge", err)
	}
	for _, want := range []string{"more than 5Mi", "images.maxImageSize", "--max-image-size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}

	// Layers whose compressed size alone passes the bound are refused
	// before any is read.
	big := sbomtest.Layer(t, map[string]sbomtest.File{"c/big": {Data: make([]byte, 2*mib)}})
	if _, err := sbom.FromImage(ctx, sbomtest.Image(t, big), sbom.Options{MaxImageBytes: mib}); !errors.Is(err, sbom.ErrImageTooLarge) {
		t.Fatalf("compressed over the bound: error %v, want ErrImageTooLarge", err)
	}

	// Within the bound the same image is read.
	if _, err := sbom.FromImage(ctx, img, sbom.Options{MaxImageBytes: 7 * mib}); err != nil {
		t.Fatalf("within the bound: %v", err)
	}
}
