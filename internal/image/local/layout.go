package local

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/kubeward/kubeward/internal/image/registry"
)

// OCI annotations that name an image of a layout: the reference name
// (a tag, or a whole reference) and containerd's image name.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerName = "io.containerd.image.name"
)

// openLayout reads an OCI image layout in dir; where names the source in
// messages (the archive a layout was unpacked from).
func openLayout(dir string, src Source, platform v1.Platform) (*Image, error) {
	where := src.Scheme + ":" + clean(src.Path)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory: an OCI image layout is a directory holding index.json (name a tar of one as oci-archive:, a docker save tarball as docker-archive:)", where)
	}
	if _, err := regularFile(filepath.Join(dir, "index.json"), registry.MaxManifestBytes, "an OCI layout's index"); err != nil {
		return nil, fmt.Errorf("%s: not an OCI image layout: %w", where, err)
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", where, err)
	}
	descs, err := choose(im.Manifests, src, where)
	if err != nil {
		return nil, err
	}
	d := descs[0]
	if len(descs) > 1 {
		// Several images by one name (or none named): the platform's, as
		// from an index.
		h, ok := registry.PickPlatform(descs, platform)
		if !ok {
			return nil, fmt.Errorf("%s holds %d images (%s): choose one with %s:NAME or @sha256:... (or --platform, among images of one name)", where, len(descs), names(descs), where)
		}
		for _, c := range descs {
			if c.Digest == h {
				d = c
			}
		}
	}
	img := &Image{Digest: d.Digest, Reference: refOf(d)}
	var raw []byte
	for depth := 0; ; depth++ {
		if raw, err = readBlob(lp, d, registry.MaxManifestBytes, where, "manifest"); err != nil {
			return nil, err
		}
		if !d.MediaType.IsIndex() {
			break
		}
		if depth == 2 {
			return nil, fmt.Errorf("%s: indexes nested more than twice", where)
		}
		cm, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: index %s: %w", where, d.Digest, err)
		}
		h, ok := registry.PickPlatform(cm.Manifests, platform)
		if !ok {
			return nil, fmt.Errorf("%s: the index holds no image for %s", where, platform.String())
		}
		for _, c := range cm.Manifests {
			if c.Digest == h {
				d = c
				break
			}
		}
	}
	if !d.MediaType.IsImage() {
		return nil, fmt.Errorf("%s: %s is a %s, not an image", where, d.Digest, d.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: image %s: %w", where, d.Digest, err)
	}
	config, err := readBlob(lp, m.Config, registry.MaxConfigBytes, where, "configuration")
	if err != nil {
		return nil, err
	}
	open := func(l v1.Descriptor) (io.ReadCloser, error) { return lp.Blob(l.Digest) }
	if img.Image, err = newVerified(where, d.MediaType, raw, config, open); err != nil {
		return nil, err
	}
	return img, nil
}

// readBlob reads a blob whole (an index, a manifest, a configuration),
// checked against its descriptor: a regular file within max bytes, of the
// size and digest the descriptor states. layout refuses symbolic links
// itself.
func readBlob(lp layout.Path, d v1.Descriptor, max int64, where, what string) ([]byte, error) {
	if err := checkBlob(lp, d, max, where); err != nil {
		return nil, err
	}
	b, err := lp.Bytes(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", where, what, d.Digest, err)
	}
	if err := checkBytes(where, what, d, b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkBlob bounds a blob layout reads whole (an index, a manifest, a
// configuration): a regular file, within max, of the size its descriptor
// states. layout refuses symbolic links itself.
func checkBlob(lp layout.Path, d v1.Descriptor, max int64, where string) error {
	if d.Size > max {
		return fmt.Errorf("%s: blob %s of %d bytes is over the %d limit", where, d.Digest, d.Size, max)
	}
	p := filepath.Join(string(lp), "blobs", d.Digest.Algorithm, d.Digest.Hex)
	size, err := regularFile(p, max, "a blob")
	if err != nil {
		return fmt.Errorf("%s: blob %s: %w", where, d.Digest, err)
	}
	if size != d.Size {
		return fmt.Errorf("%s: blob %s has %d bytes, its descriptor says %d", where, d.Digest, size, d.Size)
	}
	return nil
}

// choose lists the index entries the source's name or digest selects;
// without either, all of them.
func choose(ms []v1.Descriptor, src Source, where string) ([]v1.Descriptor, error) {
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s %w: its index.json lists no manifest", where, ErrNoImage)
	}
	if src.Name == "" && src.Digest == "" {
		return ms, nil
	}
	var out []v1.Descriptor
	for _, d := range ms {
		if (src.Digest != "" && d.Digest.String() == src.Digest) ||
			(src.Name != "" && (d.Annotations[annotationRefName] == src.Name || d.Annotations[annotationContainerName] == src.Name)) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		what := src.Name
		if src.Digest != "" {
			what = src.Digest
		}
		return nil, fmt.Errorf("%s %w named %s; it holds %s", where, ErrNoImage, what, names(ms))
	}
	return out, nil
}

// names lists index entries for a message: their names, else digests.
func names(ds []v1.Descriptor) string {
	var out []string
	for i, d := range ds {
		if i == 5 {
			out = append(out, fmt.Sprintf("and %d more", len(ds)-i))
			break
		}
		n := d.Annotations[annotationRefName]
		if n == "" {
			n = d.Digest.String()
		}
		if d.Platform != nil {
			n += " (" + d.Platform.String() + ")"
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// refOf is the whole reference an index entry names itself by: containerd's
// image name, or a reference name that is more than a tag (a tag holds no
// '/' or ':').
func refOf(d v1.Descriptor) string {
	if n := d.Annotations[annotationContainerName]; n != "" {
		return n
	}
	if n := d.Annotations[annotationRefName]; strings.ContainsAny(n, "/:@") {
		return n
	}
	return ""
}
