package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MaxConfigBytes bounds an image's configuration blob.
const MaxConfigBytes = 8 << 20

// DefaultPlatform is the image chosen from a multi-platform index when
// the caller names none: what most clusters' nodes run.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Image returns the image a digest names, choosing platform's image when
// the digest names an index. The manifest, configuration and layers come
// from the disk cache when it holds them and are written to it as they
// are read, so a layer is downloaded once whatever reads it. Layer reads
// use ctx (not the per-request timeout: a layer may be large).
func (s *Session) Image(ctx context.Context, d name.Digest, platform v1.Platform) (v1.Image, error) {
	if platform.OS == "" {
		platform = DefaultPlatform
	}
	for range 2 { // an index of indexes is not followed further
		raw, mt, err := s.Manifest(ctx, d)
		if err != nil {
			return nil, err
		}
		if !mt.IsIndex() {
			img, err := partial.CompressedToImage(&cachedImage{s: s, ctx: ctx, repo: d.Context(), manifest: raw, mediaType: mt})
			if err != nil {
				return nil, err
			}
			return closingImage{img}, nil
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		child, ok := PickPlatform(idx.Manifests, platform)
		if !ok {
			return nil, fmt.Errorf("%s: the index holds no image for %s", d, platform.String())
		}
		d = d.Context().Digest(child.String())
	}
	return nil, fmt.Errorf("%s: nested indexes", d)
}

// PickPlatform is the first manifest of an index's for the platform, as
// a container runtime chooses one.
func PickPlatform(ms []v1.Descriptor, want v1.Platform) (v1.Hash, bool) {
	for _, m := range ms {
		if m.Platform != nil && m.Platform.Satisfies(want) {
			return m.Digest, true
		}
	}
	return v1.Hash{}, false
}

// cachedImage is a partial.CompressedImageCore over the client.
type cachedImage struct {
	s         *Session
	ctx       context.Context
	repo      name.Repository
	manifest  []byte
	mediaType types.MediaType

	// config is the parsed configuration, read once for every layer's
	// DiffID.
	configOnce sync.Once
	config     *v1.ConfigFile
	configErr  error
}

func (i *cachedImage) RawManifest() ([]byte, error)        { return i.manifest, nil }
func (i *cachedImage) MediaType() (types.MediaType, error) { return i.mediaType, nil }
func (i *cachedImage) parsed() (*v1.Manifest, error) {
	return v1.ParseManifest(bytes.NewReader(i.manifest))
}
func (i *cachedImage) descriptor(h v1.Hash) (v1.Descriptor, error) {
	m, err := i.parsed()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, l := range m.Layers {
		if l.Digest == h {
			return l, nil
		}
	}
	if m.Config.Digest == h {
		return m.Config, nil
	}
	return v1.Descriptor{}, fmt.Errorf("%s: the image has no blob %s", i.repo, h)
}

func (i *cachedImage) RawConfigFile() ([]byte, error) {
	m, err := i.parsed()
	if err != nil {
		return nil, err
	}
	return i.s.Blob(i.ctx, i.repo, m.Config.Digest, MaxConfigBytes)
}

func (i *cachedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	desc, err := i.descriptor(h)
	if err != nil {
		return nil, err
	}
	return &cachedLayer{img: i, desc: desc}, nil
}

type cachedLayer struct {
	img  *cachedImage
	desc v1.Descriptor
}

// DiffID is the layer's uncompressed digest as the image's configuration
// records it, as go-containerregistry's remote layers answer it. Without
// it, partial computes it by decompressing and hashing the whole layer:
// osv-scalibr asks every layer's DiffID before it reads the layer, so
// each layer was decompressed twice. The configuration is the blob the
// manifest names, checked against its digest (Blob), as each layer is
// when the cache stores it (PutStream): the DiffID is the image author's
// record, as go-containerregistry's remote images give it.
func (l *cachedLayer) DiffID() (v1.Hash, error) {
	return partial.BlobToDiffID(parsedImage{l.img}, l.desc.Digest)
}

// parsedImage gives partial.BlobToDiffID the parsed manifest and
// configuration of a cachedImage.
type parsedImage struct{ *cachedImage }

func (p parsedImage) Manifest() (*v1.Manifest, error) { return p.parsed() }
func (p parsedImage) ConfigFile() (*v1.ConfigFile, error) {
	i := p.cachedImage
	i.configOnce.Do(func() { i.config, i.configErr = partial.ConfigFile(i) })
	return i.config, i.configErr
}

func (l *cachedLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *cachedLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *cachedLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// Compressed hands on a layer's bytes only once they have been checked
// against the manifest's digest. go-containerregistry's stream checks at
// its end, which a layer's reader (a tar reader over it) may never reach:
// it stops at the archive's end marker, so a registry (or whoever sits on
// a plain-HTTP connection to it) could have anything before that judged.
// The layer is written to the disk cache, or with none to the client's
// private temporary directory, and verified there; with neither it is
// read into memory, within the client's bound, and verified there.
func (l *cachedLayer) Compressed() (io.ReadCloser, error) {
	i := l.img
	cache := i.s.c.layerCache()
	if cache == nil {
		return l.inMemory()
	}
	if cache.Has(l.desc.Digest) {
		if rc, err := cache.Open(l.desc.Digest); err == nil {
			return rc, nil
		} // a corrupt entry is removed by Open, and fetched again
	}
	rc, err := l.fetch()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out, err := cache.Store(l.desc.Digest, l.desc.Size, rc)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w", i.repo, l.desc.Digest, err)
	}
	return out, nil
}

// fetch opens the layer's stream from the registry.
func (l *cachedLayer) fetch() (io.ReadCloser, error) {
	i := l.img
	rl, err := i.s.puller.Layer(i.ctx, i.repo.Digest(l.desc.Digest.String()))
	if err != nil {
		return nil, i.s.c.explain(i.ctx, i.repo.RegistryStr(), err)
	}
	rc, err := rl.Compressed()
	if err != nil {
		return nil, i.s.c.explain(i.ctx, i.repo.RegistryStr(), err)
	}
	return rc, nil
}

// inMemory reads the whole layer into memory, refusing one over the
// client's bound before a byte is fetched (the manifest, verified against
// its digest, states the size), and waiting while other layers hold the
// bound; the memory is given back when the reader is closed.
func (l *cachedLayer) inMemory() (io.ReadCloser, error) {
	i, c, size := l.img, l.img.s.c, l.desc.Size
	if size < 0 || size > c.opts.MemoryLayerBytes {
		return nil, fmt.Errorf("%s@%s: layer of %d bytes is over the %d bytes read into memory to verify it when there is no writable directory to verify it in: "+
			"set images.registry.cache (or --image-cache) to a writable directory, or give the process a writable cache directory (XDG_CACHE_HOME) or temporary directory (TMPDIR)",
			i.repo, l.desc.Digest, size, c.opts.MemoryLayerBytes)
	}
	if err := c.memory.Acquire(i.ctx, size); err != nil {
		return nil, fmt.Errorf("%s@%s: waiting for memory to verify the layer in: %w", i.repo, l.desc.Digest, err)
	}
	b, err := l.readVerified(size)
	if err != nil {
		c.memory.Release(size)
		return nil, err
	}
	return &heldLayer{Reader: bytes.NewReader(b), release: func() { c.memory.Release(size) }}, nil
}

// readVerified reads the layer of size bytes and checks it against its
// digest.
func (l *cachedLayer) readVerified(size int64) ([]byte, error) {
	i := l.img
	rc, err := l.fetch()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Read into a buffer of the stated size and one byte more, allocated
	// once: io.ReadAll's growing buffer would take two to three times the
	// size the bound counts.
	b := make([]byte, size+1)
	n, err := io.ReadFull(rc, b)
	switch {
	case err == nil:
		return nil, fmt.Errorf("%s@%s: the registry served more than the %d bytes the manifest states", i.repo, l.desc.Digest, size)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if int64(n) < size {
			return nil, fmt.Errorf("%s@%s: the registry served %d bytes, the manifest states %d", i.repo, l.desc.Digest, n, size)
		}
		b = b[:size]
	default:
		return nil, i.s.c.explain(i.ctx, i.repo.RegistryStr(), err)
	}
	if got, _, _ := v1.SHA256(bytes.NewReader(b)); got != l.desc.Digest {
		return nil, fmt.Errorf("%s@%s: the registry served content of digest %s", i.repo, l.desc.Digest, got)
	}
	return b, nil
}

// heldLayer is a layer's verified bytes in memory; closing it gives its
// memory back to the client's bound, once.
type heldLayer struct {
	*bytes.Reader
	release func()
	once    sync.Once
}

func (h *heldLayer) Close() error {
	h.once.Do(h.release)
	return nil
}

// closingImage's layers close the reader they opened when decompressing
// cannot start: go-containerregistry's Uncompressed drops it unclosed
// when a layer's gzip or zstd header is broken (the image author's
// doing, its digest right), and a layer held in memory gives its memory
// back to the client's bound only when it is closed: one such layer
// would otherwise make every later layer read in memory wait for good.
type closingImage struct{ v1.Image }

func (i closingImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	for k, l := range ls {
		ls[k] = closingLayer{l}
	}
	return ls, err
}

func (i closingImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return closingLayer{l}, nil
}

func (i closingImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDiffID(h)
	if err != nil {
		return nil, err
	}
	return closingLayer{l}, nil
}

type closingLayer struct{ v1.Layer }

// Uncompressed decompresses as go-containerregistry does, over the
// reader it opened itself, which it closes when decompression fails to
// start.
func (l closingLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	u, err := partial.CompressedToLayer(openedLayer{l.Layer, rc})
	if err == nil {
		var out io.ReadCloser
		if out, err = u.Uncompressed(); err == nil {
			return out, nil
		}
	}
	rc.Close()
	return nil, err
}

// openedLayer is a layer whose compressed reader is already open.
type openedLayer struct {
	v1.Layer
	rc io.ReadCloser
}

func (o openedLayer) Compressed() (io.ReadCloser, error) { return o.rc, nil }
