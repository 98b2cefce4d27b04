package sbom

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ErrImageTooLarge is an image whose layers hold more than
// Options.MaxImageBytes: it is not judged, rather than fill the disk it
// would be unpacked on.
var ErrImageTooLarge = errors.New("image over the size bound")

// boundedImage counts the uncompressed bytes read from all of an image's
// layers and fails the read that passes the bound: osv-scalibr writes
// what it reads into a temporary file, which only the reading bounds.
type boundedImage struct {
	v1.Image
	max  int64
	read atomic.Int64
}

// boundImage wraps img, refusing it at once when its compressed layers
// alone (what the manifest states) are over limit: they do not shrink when
// decompressed, and with a registry each would first be fetched whole to
// the cache.
func boundImage(img v1.Image, limit int64) (*boundedImage, error) {
	b := &boundedImage{Image: img, max: limit}
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("unpacking the image: %w", err)
	}
	var sum int64
	for _, l := range ls {
		n, err := l.Size()
		if err != nil {
			return nil, fmt.Errorf("unpacking the image: %w", err)
		}
		if sum += max(n, 0); sum > limit {
			return nil, b.tooLarge()
		}
	}
	return b, nil
}

// tooLarge says which bound was passed and what raises it.
func (b *boundedImage) tooLarge() error {
	return fmt.Errorf("the image's layers hold more than %s, the bound on the bytes unpacked to list one image's packages "+
		"(images.maxImageSize in the configuration file, or --max-image-size, raises it): %w",
		resource.NewQuantity(b.max, resource.BinarySI), ErrImageTooLarge)
}

func (b *boundedImage) Layers() ([]v1.Layer, error) {
	ls, err := b.Image.Layers()
	for i, l := range ls {
		ls[i] = boundedLayer{Layer: l, img: b}
	}
	return ls, err
}

type boundedLayer struct {
	v1.Layer
	img *boundedImage
}

func (l boundedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: rc, img: l.img}, nil
}

// countingReader adds what it reads to its image's count.
type countingReader struct {
	io.ReadCloser
	img *boundedImage
}

func (r *countingReader) Read(p []byte) (int, error) {
	// Never read more than one byte past the bound: the count then
	// proves the image over it without reading the rest.
	if left := r.img.max - r.img.read.Load() + 1; left <= 0 {
		return 0, ErrImageTooLarge
	} else if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.ReadCloser.Read(p)
	if r.img.read.Add(int64(n)) > r.img.max {
		return n, ErrImageTooLarge
	}
	return n, err
}
