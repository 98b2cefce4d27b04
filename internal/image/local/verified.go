package local

import (
	"bytes"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// verified is a local image whose every blob is checked against the
// digest and size its descriptor states before it is used: the manifest
// against the digest that chose it, the configuration against the
// manifest, each layer against the manifest when it is opened. A source
// on disk is not a registry that hashes what it serves: an archive whose
// layer was changed would otherwise be judged (and its SBOM published)
// under the digest of the image it was made from.
//
// A layer's DiffID is the configuration's (as go-containerregistry's
// remote images take it): the configuration is verified, and the
// compressed bytes it describes are verified, so decompressing and
// hashing a layer a second time only to learn its DiffID would check
// what the image's author wrote, not what reached the disk.
type verified struct {
	where     string
	manifest  []byte
	mediaType types.MediaType
	m         *v1.Manifest
	config    []byte
	diffIDs   []v1.Hash
	// open opens a layer's stored bytes, as named by the manifest.
	open func(v1.Descriptor) (io.ReadCloser, error)
}

// newVerified is the image of a manifest and configuration the caller
// has checked against their descriptors (the manifest against the digest
// that chose it, the configuration against the manifest's).
func newVerified(where string, mt types.MediaType, manifest, config []byte, open func(v1.Descriptor) (io.ReadCloser, error)) (v1.Image, error) {
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", where, err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(config))
	if err != nil {
		return nil, fmt.Errorf("%s: configuration %s: %w", where, m.Config.Digest, err)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%s: the manifest lists %d layers, the configuration %d diff_ids", where, len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	if mt == "" {
		mt = m.MediaType
	}
	return partial.CompressedToImage(&verified{where: where, manifest: manifest, mediaType: mt, m: m, config: config, diffIDs: cf.RootFS.DiffIDs, open: open})
}

// checkBytes checks a blob read whole against its descriptor.
func checkBytes(where, what string, d v1.Descriptor, b []byte) error {
	h, n, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return mismatch(where, what, d, h, n)
}

func mismatch(where, what string, d v1.Descriptor, h v1.Hash, n int64) error {
	switch {
	case n != d.Size:
		return fmt.Errorf("%s: %s %s has %d bytes, its descriptor says %d: the source was changed after it was written", where, what, d.Digest, n, d.Size)
	case h != d.Digest:
		return fmt.Errorf("%s: %s %s has content of digest %s: the source was changed after it was written", where, what, d.Digest, h)
	}
	return nil
}

func (v *verified) RawManifest() ([]byte, error)        { return v.manifest, nil }
func (v *verified) MediaType() (types.MediaType, error) { return v.mediaType, nil }
func (v *verified) RawConfigFile() ([]byte, error)      { return v.config, nil }

func (v *verified) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for i, l := range v.m.Layers {
		if l.Digest == h {
			return &verifiedLayer{img: v, desc: l, diffID: v.diffIDs[i]}, nil
		}
	}
	if v.m.Config.Digest == h {
		return &verifiedLayer{img: v, desc: v.m.Config}, nil
	}
	return nil, fmt.Errorf("%s: the image has no blob %s", v.where, h)
}

type verifiedLayer struct {
	img    *verified
	desc   v1.Descriptor
	diffID v1.Hash
}

func (l *verifiedLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *verifiedLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *verifiedLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *verifiedLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }

// Compressed hashes the stored layer before handing it out. Checking at
// the end of the stream would not do: a layer's reader (a tar reader
// over it) stops at the archive's end marker, so what follows it, and a
// changed layer that ends early, would never be hashed. Hashing costs
// one read of the compressed bytes, which a layer of a file (or of the
// unpacked archive) serves from the page cache; decompression, the
// expensive pass, is done once.
func (l *verifiedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.img.open(l.desc)
	if err != nil {
		return nil, fmt.Errorf("%s: layer %s: %w", l.img.where, l.desc.Digest, err)
	}
	h, n, err := v1.SHA256(io.LimitReader(rc, l.desc.Size+1))
	if err == nil {
		err = mismatch(l.img.where, "layer", l.desc, h, n)
	}
	if err != nil {
		rc.Close()
		return nil, err
	}
	if s, ok := rc.(io.Seeker); ok {
		if _, err := s.Seek(0, io.SeekStart); err != nil {
			rc.Close()
			return nil, fmt.Errorf("%s: layer %s: %w", l.img.where, l.desc.Digest, err)
		}
		return rc, nil
	}
	rc.Close()
	return l.img.open(l.desc)
}
