package sbom_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

// opened is a layer that records whether its content was read.
type opened struct {
	v1.Layer
	read *atomic.Bool
}

func (o opened) Compressed() (io.ReadCloser, error) {
	o.read.Store(true)
	return o.Layer.Compressed()
}

func (o opened) Uncompressed() (io.ReadCloser, error) {
	o.read.Store(true)
	return o.Layer.Uncompressed()
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
	// Two layers of 3 MiB of zeros each, some KB compressed (sbomtest's
	// layers are gzipped as registries hold them): the bound is passed
	// while the second is read, not by what the manifest states.
	img := sbomtest.Image(t,
		sbomtest.Layer(t, map[string]sbomtest.File{"a/big": {Data: make([]byte, 3*mib)}}),
		sbomtest.Layer(t, map[string]sbomtest.File{"b/big": {Data: make([]byte, 3*mib)}}))
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
	// before any is read (random bytes do not compress).
	noise := make([]byte, 2*mib)
	rand.Read(noise)
	var read atomic.Bool
	big := opened{sbomtest.Layer(t, map[string]sbomtest.File{"c/big": {Data: noise}}), &read}
	if _, err := sbom.FromImage(ctx, sbomtest.Image(t, big), sbom.Options{MaxImageBytes: mib}); !errors.Is(err, sbom.ErrImageTooLarge) {
		t.Fatalf("compressed over the bound: error %v, want ErrImageTooLarge", err)
	}
	if read.Load() {
		t.Error("a layer was read though the manifest's sizes are over the bound")
	}

	// Within the bound the same image is read.
	if _, err := sbom.FromImage(ctx, img, sbom.Options{MaxImageBytes: 7 * mib}); err != nil {
		t.Fatalf("within the bound: %v", err)
	}
}
